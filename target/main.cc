#include <iostream>

#include "cli/cli.h"
#include "target/target_server.h"

int main(int argc, char** argv) {
  salvo::cli::TuneProcess();
  salvo::target::TargetConfig config;
  CLI::App app{"salvo-target: the reference server (echo, sink or source)", "salvo-target"};
  app.add_option("--listen", config.listen, "HOST:PORT to listen on (port 0 picks one)")
      ->capture_default_str();
  salvo::cli::EnumOption(app, "--mode", &config.mode, salvo::target::kTargetModes,
                         "echo returns every byte; sink discards; source pushes");
  salvo::cli::SizeOption(app, "--size", &config.message_size,
                         "source: bytes per pushed message (64, 4k, 1m; default 64k)");
  app.add_option("--threads", config.threads, "worker threads, each with its own event loop")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--json-out", config.json_out, "write the totals as JSON here on exit");
  app.add_option("--port-file", config.port_file, "write the bound port here once listening");
  app.add_flag("--quiet", config.quiet, "no per-second lines");
  uint64_t sndbuf = 0, rcvbuf = 0;
  salvo::cli::EnumOption(app, "--engine", &config.engine, salvo::net::kEngineKinds,
                         "the I/O engine; auto takes io_uring where it works");
  salvo::cli::EnumOption(app, "--send-mode", &config.send_mode, salvo::net::kSendModes,
                         "how bytes reach the kernel: send(), MSG_ZEROCOPY or io_uring SEND_ZC");
  salvo::cli::SizeOption(app, "--sndbuf", &sndbuf, "SO_SNDBUF per socket (default: kernel)");
  salvo::cli::SizeOption(app, "--rcvbuf", &rcvbuf, "SO_RCVBUF per socket (default: kernel)");
  salvo::cli::AddVersionFlag(app);
  if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  if (sndbuf > (1u << 30) || rcvbuf > (1u << 30)) {
    std::cerr << "salvo-target: --sndbuf and --rcvbuf must be at most 1g\n";
    return 2;
  }
  config.sndbuf = static_cast<int>(sndbuf);
  config.rcvbuf = static_cast<int>(rcvbuf);
  return salvo::target::RunTargetMain(config, std::cout, std::cerr);
}
