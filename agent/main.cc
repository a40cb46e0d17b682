#include <iostream>

#include "agent/agent_service.h"
#include "cli/cli.h"

int main(int argc, char** argv) {
  salvo::agent::AgentConfig config;
  CLI::App app{"salvo-agent: opens connections and drives load when salvo tells it to",
               "salvo-agent"};
  app.add_option("--listen", config.listen, "HOST:PORT for the control plane (port 0 picks one)")
      ->capture_default_str();
  app.add_option("--port-file", config.port_file, "write the bound port here once listening");
  if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  return salvo::agent::RunAgentMain(config, std::cout, std::cerr);
}
