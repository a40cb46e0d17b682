#include <iostream>

#include "agent/agent_main.h"
#include "cli/cli.h"
#include "proto/grpc_logging.h"

int main(int argc, char** argv) {
  salvo::cli::TuneProcess();
  salvo::agent::AgentConfig config;
  std::vector<std::string> allow_targets;
  std::string token_file, tls_cert, tls_key, tls_ca;
  CLI::App app{"salvo-agent: opens connections and drives load when salvo tells it to",
               "salvo-agent"};
  app.add_option("--listen", config.listen, "HOST:PORT for the control plane (port 0 picks one)")
      ->capture_default_str();
  app.add_option("--port-file", config.port_file, "write the bound port here once listening");
  app.add_option("--allow-target", allow_targets,
                 "CIDR a run's target must be in (repeatable; default 127.0.0.0/8 and ::1)");
  app.add_option("--token-file", token_file, "require the token in this file on every call");
  app.add_option("--tls-cert", tls_cert, "serve TLS with this certificate (PEM)");
  app.add_option("--tls-key", tls_key, "and this private key (PEM)");
  app.add_option("--tls-ca", tls_ca, "mutual TLS: require controller certificates from this CA");
  app.add_flag("--insecure", config.insecure,
               "allow a --listen beyond loopback with neither a token nor TLS");
  salvo::cli::AddVersionFlag(app);
  if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  salvo::v1::QuietGrpcLogs();
  absl::StatusOr<salvo::agent::AgentSecurity> security =
      salvo::agent::LoadAgentSecurity(allow_targets, token_file, tls_cert, tls_key, tls_ca);
  if (!security.ok()) {
    std::cerr << "salvo-agent: " << security.status().message() << "\n";
    return 2;
  }
  config.security = *security;
  return salvo::agent::RunAgentMain(config, std::cout, std::cerr);
}
