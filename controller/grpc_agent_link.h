// The driver's agent access over gRPC: a Run stream per agent on a channel of its own, and the
// probe of controller/probe.h.
#pragma once

#include <string>

#include "auth/credentials.h"
#include "driver/agent_link.h"

namespace salvo::controller {

// A gRPC Run stream on a channel to `address`.
driver::AgentLinkPtr MakeGrpcAgentLink(size_t index, const std::string& address,
                                       const auth::ControlSecurity& security);

// ProbeAgents and MakeGrpcAgentLink, with `security`.
driver::AgentAccess GrpcAgentAccess(const auth::ControlSecurity& security);

}  // namespace salvo::controller
