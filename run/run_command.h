// A run from checked flags to the report and files, through whatever reaches the agents: gRPC
// (`salvo run`) or an agent in this process (`salvo-load`). No gRPC here, so that salvo-load
// builds where gRPC does not (Windows).
#pragma once

#include <atomic>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "driver/run_config.h"
#include "driver/run_driver.h"
#include "salvo/v1/report.pb.h"

namespace salvo::run {

// A checked run through `access`: drives it, prints the report, writes the files asked for.
// `command` prefixes error lines ("salvo run"). Returns the exit code: 0 ok, 1 failed, 2 bad
// usage, 3 partial, 4 a threshold failed.
int RunThrough(const driver::RunConfig& config, const driver::AgentAccess& access,
               absl::string_view command, std::ostream& out, std::ostream& err);

// `salvo run --print-scenario`: the run spec `config` makes, as the JSON --scenario reads; exit
// code 0, or 2 (and one line) when the flags are not a valid run.
int PrintScenario(const driver::RunConfig& config, std::ostream& out, std::ostream& err);
// rr's --request-file (its bytes, at most 1 MiB) and --response-until (C escapes such as \r\n
// unescaped) into `config`; empty arguments change nothing.
absl::Status LoadRequest(const std::string& request_file, const std::string& response_until,
                         driver::RunConfig* config);
// `salvo run --scenario FILE`: the file's run spec into `config`.
absl::Status LoadScenario(const std::string& path, driver::RunConfig* config);

// What the commands share. Interrupts (Ctrl-C, SIGTERM) counted since InstallInterruptHandler:
// the first asks for the results, the second abandons the agents.
extern std::atomic<int> g_interrupts;
void InstallInterruptHandler();
int ExitCode(const v1::RunReport& report);

}  // namespace salvo::run
