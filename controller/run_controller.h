// `salvo run`: drive one run through every agent over gRPC and collect what they measure.
//
// The sequence: probe every agent (Info), send each its spec and share of the connections, wait
// until every agent has every connection up (Ready), start them together, gather one report per
// interval from each, stop them (at the end of the duration, or early on Ctrl-C) and build the
// RunReport. Failures never throw and never lose what was measured: they end up in the report's
// status and reasons.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "controller/run_config.h"
#include "salvo/v1/agent.pb.h"
#include "salvo/v1/report.pb.h"

namespace salvo::controller {

struct RunHooks {
  // Live lines and progress messages for the terminal.
  std::function<void(const std::string&)> print = [](const std::string&) {};
  // Incremented by the caller's signal handler: the first asks the agents to stop and report,
  // the second abandons them.
  const std::atomic<int>* interrupts = nullptr;
};

v1::RunReport ExecuteRun(const RunConfig& config, const RunHooks& hooks);

// What `salvo agents` and the start of every run learn about an agent.
struct AgentProbe {
  std::string agent;
  bool reachable = false;
  // Empty when the agent answered both its Info and its clock probes.
  std::string error;
  v1::InfoResponse info;
  double clock_offset_ms = 0;  // agent clock minus controller clock
  double clock_error_ms = 0;
  double clock_rtt_ms = 0;
};

// Asks every agent, all at once, who it is and measures its clock (NTP-style, best of several
// round trips).
std::vector<AgentProbe> ProbeAgents(const std::vector<std::string>& agents,
                                    const ControlSecurity& security);

}  // namespace salvo::controller
