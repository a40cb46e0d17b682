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
#include "controller/html_report.h"
#include "controller/metrics_exporter.h"
#include "controller/probe.h"
#include "controller/render.h"
#include "controller/run_driver.h"
#include "controller/sweep_output.h"
#include "metrics/hgrm.h"
#include "net/address.h"
#include "process/child.h"
#include "proto/json.h"
#include "status/status_macros.h"
#include "wire/enums.h"
#include "wire/figures.h"

namespace salvo::controller {
namespace {

std::atomic<int> g_interrupts{0};

void OnInterrupt(int) { g_interrupts.fetch_add(1); }

// Ctrl-C asks for the results instead of killing the controller: nothing measured is lost.
void InstallInterruptHandler() {
  g_interrupts.store(0);
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int ExitCode(const v1::RunReport& report) {
  if (report.status() == v1::RUN_STATUS_FAILED) return 1;
  for (const v1::ThresholdResult& t : report.thresholds()) {
    if (!t.passed()) return 4;
  }
  return report.status() == v1::RUN_STATUS_PARTIAL ? 3 : 0;
}

std::string EngineList(const v1::InfoResponse& info) {
  std::vector<std::string> names;
  for (int e : info.engines()) names.emplace_back(wire::Name(static_cast<v1::Engine>(e)));
  return absl::StrJoin(names, ",");
}

// A run that failed before its load began (an agent unreachable or refusing, a connection that
// could not be made): its reasons are the whole story. Once load began (an agent was lost even
// before its first interval), the report is printed whole.
bool NeverStarted(const v1::RunReport& report) {
  if (report.status() == v1::RUN_STATUS_OK || report.lost_agents_size() > 0) return false;
  for (const v1::AgentResult& a : report.agents()) {
    if (a.intervals_size() > 0 || a.measured_s() > 0) return false;
  }
  return report.reasons_size() > 0;
}

// Output files are opened before any load, so an unwritable path fails before anything is
// measured rather than after. False (and a message) when one cannot be opened.
bool OpenOutput(const std::string& path, const char* flag, std::optional<std::ofstream>* file,
                std::ostream& err) {
  if (path.empty()) return true;
  file->emplace(path, std::ios::trunc);
  if (**file) return true;
  err << "salvo: cannot write " << flag << " " << path << ": " << std::strerror(errno) << "\n";
  return false;
}

// Writes to an opened output; false (and a message) if the write failed.
bool WriteOutput(std::optional<std::ofstream>& file, const std::string& path,
                 const std::function<void(std::ostream&)>& write, std::ostream& out,
                 std::ostream& err) {
  if (!file.has_value()) return true;
  write(*file);
  file->flush();
  if (!*file) {
    err << "salvo: writing " << path << " failed: " << std::strerror(errno) << "\n";
    return false;
  }
  out << "written: " << path << "\n";
  return true;
}

bool WriteOutput(std::optional<std::ofstream>& file, const std::string& path,
                 const std::string& text, std::ostream& out, std::ostream& err) {
  return WriteOutput(
      file, path, [&text](std::ostream& o) { o << text; }, out, err);
}

}  // namespace

int RunThrough(const RunConfig& config, const AgentAccess& access, absl::string_view command,
               std::ostream& out, std::ostream& err) {
  // `--json -`: standard output carries the JSON alone, and what a person reads goes to standard
  // error.
  const bool json_to_stdout = config.json_path == "-";
  std::ostream& human = json_to_stdout ? err : out;
  std::optional<std::ofstream> json, csv, hgrm, html;
  if ((!json_to_stdout && !OpenOutput(config.json_path, "--json", &json, err)) ||
      !OpenOutput(config.csv_path, "--csv", &csv, err) ||
      !OpenOutput(config.latency_hgrm_path, "--latency-hgrm", &hgrm, err) ||
      !OpenOutput(config.html_path, "--html", &html, err)) {
    return 2;
  }
  std::unique_ptr<MetricsExporter> exporter;
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsExporter>> m =
        MetricsExporter::Listen(config.metrics_listen);
    if (!m.ok()) {
      err << command << ": " << m.status().message() << "\n";
      return 2;
    }
    exporter = *std::move(m);
  }
  InstallInterruptHandler();
  RunHooks hooks;
  hooks.interrupts = &g_interrupts;
  hooks.print = [&human](const std::string& line) { human << line << std::endl; };
  if (exporter != nullptr) {
    human << "serving /metrics on port " << exporter->port() << std::endl;
    hooks.interval = [&exporter](const v1::IntervalPoint& p, const IntervalParts& parts) {
      exporter->AddInterval(p, parts);
    };
  }
  v1::RunReport report = DriveRun(config, hooks, access);
  if (exporter != nullptr) exporter->Finish(report);
  if (NeverStarted(report)) {
    // Nothing ran: the reasons are the whole story, one line each.
    for (const std::string& reason : report.reasons()) err << command << ": " << reason << "\n";
  } else {
    // Whatever was measured, even nothing from an agent lost before its first interval, is
    // shown with its status and reasons.
    human << "\n" << RenderReport(report, config.bits);
  }
  const int code = ExitCode(report);
  if (!WriteOutput(csv, config.csv_path, ReportCsv(report), human, err)) return 1;
  const auto write_hgrm = [&report](std::ostream& o) {
    for (const v1::TimingHistogram& t : report.timings()) {
      if (t.timing() != v1::TIMING_ROUND_TRIP) continue;
      // The report's own merge, already checked; a histogram that fails to load writes none.
      if (absl::StatusOr<metrics::Histogram> h = wire::HistogramFromProto(t.histogram()); h.ok()) {
        metrics::WritePercentileDistribution(*h, /*unit_ns=*/1e6, o);
        return;
      }
    }
    metrics::WritePercentileDistribution(metrics::Histogram(), 1e6, o);
  };
  if (!WriteOutput(hgrm, config.latency_hgrm_path, write_hgrm, human, err) ||
      !WriteOutput(html, config.html_path, ReportHtml(report), human, err)) {
    return 1;
  }
  const auto write = [&report](std::ostream& o) { WriteReportJson(std::move(report), o); };
  if (json_to_stdout) {
    write(out);
    out.flush();
    if (!out) return 1;
  } else if (!WriteOutput(json, config.json_path, write, human, err)) {
    return 1;
  }
  if (exporter != nullptr && config.metrics_linger > absl::ZeroDuration()) {
    human << "serving the final figures on /metrics for "
          << absl::FormatDuration(config.metrics_linger) << " (Ctrl-C ends it)" << std::endl;
    const int interrupts = g_interrupts.load();
    for (const absl::Time end = absl::Now() + config.metrics_linger;
         absl::Now() < end && g_interrupts.load() == interrupts;) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  return code;
}

int PrintScenario(const RunConfig& config, std::ostream& out, std::ostream& err) {
  if (absl::Status s = Validate(config); !s.ok()) {
    err << "salvo run: " << s.message() << "\n";
    return 2;
  }
  out << v1::ToJson(SpecSummary(config));
  return 0;
}

absl::Status LoadRequest(const std::string& request_file, const std::string& response_until,
                         RunConfig* config) {
  if (!request_file.empty()) {
    std::ifstream in(request_file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("cannot read --request-file ", request_file, ": ", std::strerror(errno)));
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--request-file ", request_file, " is empty"));
    }
    config->request = std::move(bytes);
  }
  if (!response_until.empty()) {
    std::string unescaped, error;
    if (!absl::CUnescape(response_until, &unescaped, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--response-until '", response_until, "': ", error));
    }
    config->response_until = std::move(unescaped);
  }
  return absl::OkStatus();
}

absl::Status LoadScenario(const std::string& path, RunConfig* config) {
  SALVO_ASSIGN_OR_RETURN(v1::RunSpecSummary summary, ReadScenario(path));
  if (absl::Status s = ApplySpecSummary(summary, config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--scenario ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

int RunCommand(const RunConfig& config, std::ostream& out, std::ostream& err) {
  if (absl::Status s = Validate(config); !s.ok()) {
    err << "salvo run: " << s.message() << "\n";
    return 2;
  }
  return RunThrough(config, GrpcAgentAccess(config.security), "salvo run", out, err);
}

int AgentsCommand(const std::vector<std::string>& agents, const ControlSecurity& security,
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
  for (const AgentProbe& p : ProbeAgents(agents, security)) {
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

int SweepCommand(const SweepConfig& config, std::ostream& out, std::ostream& err) {
  if (absl::Status s = ValidateSweep(config); !s.ok()) {
    err << "salvo sweep: " << s.message() << "\n";
    return 2;
  }
  std::optional<std::ofstream> json, csv, svg;
  if (!OpenOutput(config.json_path, "--json", &json, err) ||
      !OpenOutput(config.csv_path, "--csv", &csv, err) ||
      !OpenOutput(config.svg_path, "--svg", &svg, err)) {
    return 2;
  }
  InstallInterruptHandler();
  RunHooks hooks;
  hooks.interrupts = &g_interrupts;
  hooks.print = [&out](const std::string& line) { out << line << std::endl; };
  const v1::SweepReport report = ExecuteSweep(config, hooks);
  out << "\n" << SweepTable(report);
  const bool written = WriteOutput(json, config.json_path, v1::ToJson(report), out, err) &&
                       WriteOutput(csv, config.csv_path, SweepCsv(report), out, err) &&
                       WriteOutput(svg, config.svg_path, SweepSvg(report), out, err);
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
  RunConfig config;
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
  const int code = RunThrough(config, GrpcAgentAccess(config.security), "salvo run", out, err);
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
