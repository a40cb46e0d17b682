// `salvo-load`: a run from this machine alone. The driver that coordinates agents drives one
// agent in this process instead: the same spec, the same agent code (CarryOutRun), the same
// merge, report and files as `salvo run`, and no control plane between them.
//
//   RunConfig config = ...;                  // config.agents = {kLocalAgent}
//   int code = RunThrough(config, LocalAgentAccess(), "salvo-load", std::cout, std::cerr);
#pragma once

#include "driver/run_driver.h"

namespace salvo::load {

// The name of the one agent, in the report's agent rows.
inline constexpr char kLocalAgent[] = "local";

// Probes answer for this process (reachable, its engines, no clock offset); each link runs the
// agent's side of a run on a thread of its own.
driver::AgentAccess LocalAgentAccess();

}  // namespace salvo::load
