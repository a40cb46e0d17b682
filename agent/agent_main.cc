#include "agent/agent_main.h"

#include <cerrno>
#include <cstring>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "process/stop_signal.h"

namespace salvo::agent {

int RunAgentMain(const AgentConfig& config, std::ostream& out, std::ostream& err) {
  process::BlockStop();

  AgentConfig effective = config;
  effective.log = &out;
  absl::StatusOr<std::unique_ptr<AgentServer>> server = AgentServer::Start(effective);
  if (!server.ok()) {
    err << "salvo-agent: " << server.status().message() << "\n";
    return 1;
  }
  if (!config.port_file.empty()) {
    std::ofstream port_file(config.port_file, std::ios::trunc);
    port_file << (*server)->port() << "\n";
    if (!port_file.flush()) {
      err << "salvo-agent: cannot write --port-file " << config.port_file << ": "
          << std::strerror(errno) << "\n";
      return 1;
    }
  }
  out << "salvo-agent " << SALVO_VERSION << " listening on " << (*server)->address() << " ("
      << Describe(config.security) << ")" << std::endl;
  std::string stop;
  while (stop.empty()) stop = process::WaitForStop(absl::Hours(1));
  out << "salvo-agent: shutting down" << std::endl;
  // A run in progress stops its load at once and sends what it measured before the server goes.
  AgentServer& s = **server;
  s.service().StopRuns(absl::StrCat("the agent was shut down (", stop, ")"));
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (s.service().busy() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  s.Shutdown(absl::Seconds(1));
  return 0;
}

}  // namespace salvo::agent
