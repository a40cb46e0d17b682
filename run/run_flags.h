// The flags of a run, for `salvo run` (through agents) and `salvo-load` (this machine alone), so
// that both read them alike.
//
//   RunFlags flags;
//   AddRunFlags(*app.add_subcommand("run", "..."), &flags, /*distributed=*/true);
//   ... parse ...
//   if (absl::Status s = FinishRunFlags(*run_cmd, &flags); !s.ok()) ...   // flags.run is ready
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "driver/run_config.h"

namespace salvo::run {

struct RunFlags {
  driver::RunConfig run;
  // Text that needs more than a conversion, turned into `run` by FinishRunFlags.
  std::string agents;
  std::string scenario;
  bool print_scenario = false;
  std::string request_file;
  std::string response_until;
  std::string stages;
  absl::Duration timer_spin = absl::Microseconds(driver::kDefaultTimerSpinUs);
  std::vector<std::string> source_ips;
  std::vector<std::string> thresholds;
};

// `distributed` adds what only a run through agents has: --agents, --on-agent-loss,
// --min-agents, --lease.
void AddRunFlags(CLI::App& cmd, RunFlags* f, bool distributed);

// `--scenario FILE`, after a first parse: the file's spec into f->run, then the command line
// parsed again (`app`, the root) so that every flag given beside it lands on top. Returns an
// exit code when the program must end (a bad file: one line to `err` prefixed by `command`).
std::optional<int> ApplyScenario(CLI::App& app, int argc, char** argv, absl::string_view command,
                                 RunFlags* f, std::ostream& err);

// After parsing: the agents, thresholds, stages (and the duration they imply), source addresses
// and rr's request, into f->run. The error is one line for the user.
absl::Status FinishRunFlags(const CLI::App& cmd, RunFlags* f);

}  // namespace salvo::run
