// Turning what the agents sent into one RunReport: sums of counters, histograms merged bucket by
// bucket (percentiles never averaged), interval series aligned by index, and the findings a
// reader should not miss (stalls, collapses, corrupted bytes).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "salvo/v1/agent.pb.h"
#include "salvo/v1/report.pb.h"
#include "wire/figures.h"

namespace salvo::driver {

// Workloads whose messages are round trips (echo, rr): they have pipelines, round-trip times and,
// in an open loop, service times.
inline bool HasRoundTrips(v1::Workload w) {
  return w == v1::WORKLOAD_ECHO || w == v1::WORKLOAD_RR || w == v1::WORKLOAD_CONNECT_RR;
}

// Whether the run sends on a schedule (--rate or --stages) rather than closed-loop.
inline bool IsOpenLoop(const v1::LoadSpec& load) {
  return load.rate() > 0 || load.stages_size() > 0;
}

// Everything the controller learnt from one agent during a run.
struct AgentOutcome {
  std::string name;
  uint32_t connections = 0;  // the share it was given
  std::optional<v1::Ready> ready;
  // Intervals as they arrived live, kept even if the agent never sends its result.
  std::vector<v1::Interval> intervals;
  // The timing histograms that SummarizeInterval took out of `intervals`: with the histograms
  // still in there, they make this agent's exact timings over its intervals.
  wire::Timings summarized_timings;
  std::optional<v1::AgentResult> result;
  // Why the agent did not finish its part; empty if it did.
  std::string error;
  double weight = 1;
  // The agent's clock minus the controller's, its error bound and the round trip it came from.
  double clock_offset_ms = 0;
  double clock_error_ms = 0;
  double clock_rtt_ms = 0;
  // Lost during the run (silent too long, or its stream failed): its intervals are kept and the
  // run is partial rather than failed, unless the loss policy says otherwise.
  bool lost = false;
  uint32_t lost_at_interval = 0;
};

// `reasons` are failures the controller already knows (unreachable agents, refused
// connections); the report adds its own and sets status: "failed" when there is any reason,
// else "partial" when agents were lost, else "ok".
// `merged` holds the first intervals already merged across agents while the run went on (their
// agents' intervals may be summarized); the later ones are merged here.
// Puts the run in time: started_at (RFC 3339, UTC) from `started`, and each interval's end in
// Unix milliseconds, from the start of measurement (`started` + `warmup`) and its elapsed time.
void StampTimes(absl::Time started, absl::Duration warmup, v1::RunReport* report);

v1::RunReport BuildReport(const v1::Scenario& spec, std::vector<AgentOutcome> agents,
                          std::vector<std::string> reasons,
                          const std::vector<v1::IntervalPoint>& merged = {});

// Takes the histograms out of interval `i` of `outcome`, keeping its counters and percentiles;
// its timing histograms move into outcome->summarized_timings. For an interval already merged
// across agents: the histograms served that merge, and keeping them for every agent and interval
// would take tens of KB each, gigabytes over a long run.
void SummarizeInterval(AgentOutcome* outcome, size_t i);

// One interval summed over the agents that reported it.
v1::IntervalPoint MergeInterval(uint32_t index, const std::vector<const v1::Interval*>& parts,
                                double nominal_interval_s);

}  // namespace salvo::driver
