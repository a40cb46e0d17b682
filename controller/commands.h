// The salvo subcommands after flag parsing. Each returns the process exit code:
// 0 the run was ok, 1 it failed (the report says why), 2 bad usage, 3 partial (an agent was
// lost), 4 a --threshold failed.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "driver/run_config.h"
#include "driver/run_driver.h"
#include "driver/sweep.h"
#include "run/run_command.h"

namespace salvo::controller {

int RunCommand(const driver::RunConfig& config, std::ostream& out, std::ostream& err);
// Probes each agent and prints one line per agent; 0 when all are reachable, 1 otherwise.
int AgentsCommand(const std::vector<std::string>& agents, const auth::ControlSecurity& security,
                  std::ostream& out, std::ostream& err);

// Runs the sweep, prints its table and findings, writes --json, --csv and --svg.
int SweepCommand(const driver::SweepConfig& config, std::ostream& out, std::ostream& err);

struct DemoConfig {
  uint32_t connections = 20;
  uint64_t message_size = 64;
  absl::Duration duration = absl::Seconds(4);
  absl::Duration warmup = absl::Seconds(1);
  std::string json_path;
};

// Starts a local salvo-target and two salvo-agents on loopback (free ports), runs a short echo
// run through them, prints the report and stops them again.
int DemoCommand(const DemoConfig& config, std::ostream& out, std::ostream& err);

}  // namespace salvo::controller
