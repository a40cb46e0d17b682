// The driver's real agent access: gRPC to agents at HOST:PORT.
#include "controller/agent_link.h"
#include "controller/probe.h"
#include "controller/run_driver.h"

namespace salvo::controller {

AgentAccess GrpcAgentAccess(const ControlSecurity& security) {
  AgentAccess access;
  access.probe = [security](const std::vector<std::string>& agents) {
    return ProbeAgents(agents, security);
  };
  access.link = [security](size_t index, const std::string& address) {
    return MakeGrpcAgentLink(index, address, security);
  };
  return access;
}

v1::RunReport DriveRun(const RunConfig& config, const RunHooks& hooks) {
  return DriveRun(config, hooks, GrpcAgentAccess(config.security));
}

}  // namespace salvo::controller
