// `salvo run`: drive one run through every agent and collect what they measure.
//
// The sequence: probe every agent (Info, protocol, clock), send each its spec and share of the
// connections, wait until every agent has every connection up (Ready), start them together at
// one instant, gather one report per interval from each, keep their leases alive, stop them (at
// the end of the duration, or early on Ctrl-C) and build the RunReport. Failures never throw and
// never lose what was measured: they end up in the report's status and reasons.
//
//   RunHooks hooks;
//   hooks.print = [](const std::string& line) { std::cout << line << "\n"; };
//   v1::RunReport report = DriveRun(config, hooks);
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "driver/agent_link.h"
#include "driver/report_sink.h"
#include "driver/run_config.h"
#include "salvo/v1/report.pb.h"

namespace salvo::driver {

struct RunHooks {
  // Live lines and progress messages for the terminal.
  std::function<void(const std::string&)> print = [](const std::string&) {};
  // Incremented by the caller's signal handler: the first asks the agents to stop and report,
  // the second abandons them.
  const std::atomic<int>* interrupts = nullptr;
  // The outputs: each gets the run's start and every merged interval (not owned).
  std::vector<ReportSink*> sinks;
  // The driver's clock: when agents were last heard, heartbeats, the silence limit, deadlines
  // and the start instant all read it. Tests give one they move by hand, so a 5 s silence or a
  // lease's heartbeats are checked in milliseconds. Called from the links' threads too.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

v1::RunReport DriveRun(const RunConfig& config, const RunHooks& hooks, const AgentAccess& access);

}  // namespace salvo::driver
