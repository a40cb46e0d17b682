#include "agent/agent_main.h"

#include <signal.h>

#include <fstream>

#include "process/signals.h"

namespace salvo::agent {

int RunAgentMain(const AgentConfig& config, std::ostream& out, std::ostream& err) {
  const sigset_t signals = process::BlockStopSignals();

  AgentConfig effective = config;
  effective.log = &out;
  absl::StatusOr<std::unique_ptr<AgentServer>> server = AgentServer::Start(effective);
  if (!server.ok()) {
    err << "salvo-agent: " << server.status().message() << "\n";
    return 1;
  }
  if (!config.port_file.empty()) std::ofstream(config.port_file) << (*server)->port() << "\n";
  out << "salvo-agent " << SALVO_VERSION << " listening on " << (*server)->address() << " ("
      << Describe(config.security) << ")" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  out << "salvo-agent: shutting down" << std::endl;
  (*server)->Shutdown();
  return 0;
}

}  // namespace salvo::agent
