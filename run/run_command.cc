#include "run/run_command.h"

#include <csignal>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/credentials.h"
#include "output/sinks.h"
#include "plan/limits.h"
#include "proto/json.h"
#include "status/status_macros.h"

namespace salvo::run {
namespace {

void OnInterrupt(int) { g_interrupts.fetch_add(1); }

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

int RunThrough(const driver::RunConfig& config, const driver::AgentAccess& access,
               absl::string_view command, std::ostream& out, std::ostream& err) {
  const output::Terminal terminal{out, err, std::string(command), &g_interrupts};
  absl::StatusOr<std::vector<driver::ReportSinkPtr>> sinks = output::MakeSinks(config, terminal);
  if (!sinks.ok()) {
    err << command << ": " << sinks.status().message() << "\n";
    return 2;
  }
  InstallInterruptHandler();
  driver::RunHooks hooks;
  hooks.interrupts = &g_interrupts;
  std::ostream& human = terminal.human(config);
  hooks.print = [&human](const std::string& line) { human << line << std::endl; };
  for (const driver::ReportSinkPtr& sink : *sinks) hooks.sinks.push_back(sink.get());
  const v1::RunReport report = driver::DriveRun(config, hooks, access);
  int code = ExitCode(report);
  for (const driver::ReportSinkPtr& sink : *sinks) {
    // Every output gets the report even when one before it could not be written.
    if (absl::Status s = sink->OnReport(report); !s.ok()) {
      err << command << ": " << s.message() << "\n";
      code = 1;
    }
  }
  return code;
}

int PrintScenario(const driver::RunConfig& config, std::ostream& out, std::ostream& err) {
  if (absl::Status s = driver::Validate(config); !s.ok()) {
    err << "salvo run: " << s.message() << "\n";
    return 2;
  }
  out << v1::ToJson(driver::ScenarioOf(config));
  return 0;
}

absl::Status LoadRequest(const std::string& request_file, const std::string& response_until,
                         driver::RunConfig* config) {
  if (!request_file.empty()) {
    SALVO_ASSIGN_OR_RETURN(std::string bytes, auth::ReadFlagFile(request_file, "--request-file",
                                                                 plan::kMaxRequestBytes));
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

absl::Status LoadScenario(const std::string& path, driver::RunConfig* config) {
  SALVO_ASSIGN_OR_RETURN(v1::Scenario summary, driver::ReadScenario(path));
  if (absl::Status s = driver::ApplyScenarioToConfig(summary, config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--scenario ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace salvo::run
