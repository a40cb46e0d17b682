// The whole salvo-agent process after flag parsing: serve until SIGINT or SIGTERM.
#pragma once

#include <ostream>

#include "agent/agent_service.h"

namespace salvo::agent {

// Returns the process exit code: 0 after a signal, 1 when the agent could not start.
int RunAgentMain(const AgentConfig& config, std::ostream& out, std::ostream& err);

}  // namespace salvo::agent
