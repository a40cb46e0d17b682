#include "controller/run_command.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controller/html_report.h"
#include "controller/metrics_exporter.h"
#include "controller/render.h"
#include "metrics/hgrm.h"
#include "proto/json.h"
#include "status/status_macros.h"
#include "wire/figures.h"

namespace salvo::controller {
namespace {

void OnInterrupt(int) { g_interrupts.fetch_add(1); }

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

}  // namespace

std::atomic<int> g_interrupts{0};

// Ctrl-C asks for the results instead of killing the controller: nothing measured is lost.
void InstallInterruptHandler() {
  g_interrupts.store(0);
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
#ifdef SIGPIPE
  std::signal(SIGPIPE, SIG_IGN);  // a closed --json - reader is an error to report, not a death
#endif
}

int ExitCode(const v1::RunReport& report) {
  if (report.status() == v1::RUN_STATUS_FAILED) return 1;
  for (const v1::ThresholdResult& t : report.thresholds()) {
    if (!t.passed()) return 4;
  }
  return report.status() == v1::RUN_STATUS_PARTIAL ? 3 : 0;
}

bool OpenOutput(const std::string& path, const char* flag, std::optional<std::ofstream>* file,
                std::ostream& err) {
  if (path.empty()) return true;
  file->emplace(path, std::ios::trunc);
  if (**file) return true;
  err << "salvo: cannot write " << flag << " " << path << ": " << std::strerror(errno) << "\n";
  return false;
}

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

}  // namespace salvo::controller
