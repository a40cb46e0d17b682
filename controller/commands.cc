#include "controller/commands.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controller/grpc_agent_link.h"
#include "controller/probe.h"
#include "driver/run_driver.h"
#include "metrics/hgrm.h"
#include "net/address.h"
#include "output/file_output.h"
#include "output/render.h"
#include "output/sweep_output.h"
#include "process/child.h"
#include "proto/json.h"
#include "status/status_macros.h"
#include "wire/enums.h"
#include "wire/figures.h"

namespace salvo::controller {
namespace {

std::string EngineList(const v1::InfoResponse& info) {
  std::vector<std::string> names;
  for (int e : info.engines()) names.emplace_back(wire::Name(static_cast<v1::Engine>(e)));
  return absl::StrJoin(names, ",");
}

}  // namespace

int RunCommand(const driver::RunConfig& config, std::ostream& out, std::ostream& err) {
  if (absl::Status s = driver::Validate(config); !s.ok()) {
    err << "salvo run: " << s.message() << "\n";
    return 2;
  }
  return run::RunThrough(config, GrpcAgentAccess(config.security), "salvo run", out, err);
}

int AgentsCommand(const std::vector<std::string>& agents, const auth::ControlSecurity& security,
                  std::ostream& out, std::ostream& err) {
  if (agents.empty()) {
    err << "salvo agents: --agents: give at least one agent\n";
    return 2;
  }
  for (const std::string& agent : agents) {
    std::string host;
    uint16_t port = 0;
    if (absl::Status s = net::SplitHostPort(agent, &host, &port); !s.ok()) {
      err << "salvo agents: --agents: " << s.message() << "\n";
      return 2;
    }
  }
  int code = 0;
  for (const driver::AgentProbe& p : ProbeAgents(agents, security)) {
    if (!p.reachable) {
      out << p.agent << (p.refused ? "  refused: " : "  unreachable: ") << p.error << "\n";
      code = 1;
      continue;
    }
    out << p.agent << "  reachable  salvo-agent " << p.info.version() << "  host "
        << p.info.hostname() << "  " << p.info.cores() << " cores  engines " << EngineList(p.info)
        << "  " << (p.info.busy() ? "busy" : "idle");
    if (p.error.empty()) {
      out << absl::StrFormat("  clock offset %+.3fms +-%.3fms  rtt %.3fms", p.clock_offset_ms,
                             p.clock_error_ms, p.clock_rtt_ms);
    } else {
      out << "  " << p.error;
      code = 1;
    }
    out << "\n";
  }
  return code;
}

int SweepCommand(const driver::SweepConfig& config, std::ostream& out, std::ostream& err) {
  if (absl::Status s = driver::ValidateSweep(config); !s.ok()) {
    err << "salvo sweep: " << s.message() << "\n";
    return 2;
  }
  // Opened before any load, so an unwritable path fails before anything is measured.
  std::optional<output::FileOutput> json, csv, svg;
  for (auto [path, flag, file] :
       {std::tuple{&config.json_path, "--json", &json}, std::tuple{&config.csv_path, "--csv", &csv},
        std::tuple{&config.svg_path, "--svg", &svg}}) {
    if (path->empty()) continue;
    absl::StatusOr<output::FileOutput> f = output::FileOutput::Open(*path, flag);
    if (!f.ok()) {
      err << "salvo sweep: " << f.status().message() << "\n";
      return 2;
    }
    file->emplace(*std::move(f));
  }
  run::InstallInterruptHandler();
  driver::RunHooks hooks;
  hooks.interrupts = &run::g_interrupts;
  hooks.print = [&out](const std::string& line) { out << line << std::endl; };
  const v1::SweepReport report =
      driver::ExecuteSweep(config, hooks, GrpcAgentAccess(config.base.security));
  out << "\n" << output::SweepTable(report);
  bool written = true;
  for (auto [file, text] :
       {std::pair{&json, v1::ToJson(report)}, std::pair{&csv, output::SweepCsv(report)},
        std::pair{&svg, output::SweepSvg(report)}}) {
    if (!file->has_value()) continue;
    if (absl::Status s = (*file)->Write(text, out); !s.ok()) {
      err << "salvo sweep: " << s.message() << "\n";
      written = false;
    }
  }
  return written && report.status() == v1::RUN_STATUS_OK ? 0 : 1;
}

int DemoCommand(const DemoConfig& demo, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> dir = process::MakeTempDir("salvo-demo-");
  if (!dir.ok()) {
    err << "salvo demo: " << dir.status().message() << "\n";
    return 1;
  }
  std::vector<process::StartedServer> started;
  auto start = [&](const std::string& binary, std::vector<std::string> args,
                   const std::string& tag) -> absl::Status {
    absl::StatusOr<process::StartedServer> s =
        process::StartServer(process::BinaryBeside(binary), std::move(args), *dir, tag);
    if (!s.ok()) return s.status();
    started.push_back(std::move(*s));
    return absl::OkStatus();
  };
  absl::Status s =
      start("salvo-target", {"--listen", "127.0.0.1:0", "--mode", "echo", "--quiet"}, "target");
  for (int i = 1; s.ok() && i <= 2; ++i) {
    s = start("salvo-agent", {"--listen", "127.0.0.1:0"}, absl::StrCat("agent", i));
  }
  if (!s.ok()) {
    err << "salvo demo: " << s.message() << "\n";
    return 1;
  }
  driver::RunConfig config;
  config.target = absl::StrCat("127.0.0.1:", started[0].port);
  config.agents = {absl::StrCat("127.0.0.1:", started[1].port),
                   absl::StrCat("127.0.0.1:", started[2].port)};
  config.workload = workload::Kind::kEcho;
  config.connections = demo.connections;
  config.message_size = demo.message_size;
  config.duration = demo.duration;
  config.warmup = demo.warmup;
  config.verify = true;
  // Three processes share this machine's cores: one worker thread per agent keeps them from
  // fighting over them.
  config.threads = 1;
  config.json_path = demo.json_path;
  out << "salvo demo: salvo-target (echo) on " << config.target << ", salvo-agent on "
      << config.agents[0] << " and " << config.agents[1] << "\n"
      << "equivalent to: salvo run --agents " << config.agents[0] << "," << config.agents[1]
      << " --target " << config.target << " --workload echo --connections " << config.connections
      << " --size " << config.message_size << " --duration "
      << absl::FormatDuration(config.duration) << " --warmup "
      << absl::FormatDuration(config.warmup) << " --verify\n\n";
  const int code = run::RunThrough(config, GrpcAgentAccess(config.security), "salvo run", out, err);
  for (process::StartedServer& p : started) p.child.Terminate(absl::Seconds(3));
  std::error_code ignored;
  for (const char* f : {"target", "agent1", "agent2"}) {
    std::remove(absl::StrCat(*dir, "/", f, ".port").c_str());
    std::remove(absl::StrCat(*dir, "/", f, ".log").c_str());
  }
  ::rmdir(dir->c_str());
  return code;
}

}  // namespace salvo::controller
