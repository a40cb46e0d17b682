// The probe behind `salvo agents` and the start of every run, over gRPC: each agent's Info (who
// it is, whether it speaks this controller's protocol) and its clock offset.
#pragma once

#include <string>
#include <vector>

#include "auth/credentials.h"
#include "driver/agent_link.h"

namespace salvo::controller {

// Asks every agent, all at once, who it is and measures its clock (NTP-style: the best of
// several round trips, error bound half that round trip).
std::vector<driver::AgentProbe> ProbeAgents(const std::vector<std::string>& agents,
                                            const auth::ControlSecurity& security);

}  // namespace salvo::controller
