#include "controller/grpc_agent_link.h"
#include "controller/probe.h"

namespace salvo::controller {

driver::AgentAccess GrpcAgentAccess(const auth::ControlSecurity& security) {
  driver::AgentAccess access;
  access.probe = [security](const std::vector<std::string>& agents) {
    return ProbeAgents(agents, security);
  };
  access.link = [security](size_t index, const std::string& address) {
    return MakeGrpcAgentLink(index, address, security);
  };
  return access;
}

}  // namespace salvo::controller
