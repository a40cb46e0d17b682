#include "driver/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "driver/diagnosis.h"
#include "metrics/connection_stats.h"
#include "metrics/figures.h"
#include "metrics/histogram.h"
#include "wire/enums.h"
#include "wire/figures.h"

namespace salvo::driver {
namespace {

using metrics::Counter;
using metrics::CounterValues;
using metrics::Histogram;

// Adds `from`'s timings into `into`; a malformed list is reported once in `reasons` (when given)
// and otherwise ignored, so one hostile agent cannot spoil the others' figures.
void MergeTimings(const wire::TimingList& from, wire::Timings* into, const std::string& who,
                  std::vector<std::string>* reasons) {
  if (absl::Status s = wire::MergeTimingsFromProto(from, into); !s.ok() && reasons != nullptr) {
    reasons->push_back(absl::StrCat("agent ", who, " sent malformed timings: ", s.message()));
  }
}

// What an agent that never sent its result still contributed: its live intervals.
v1::AgentResult ResultFromIntervals(const AgentOutcome& a) {
  v1::AgentResult r;
  r.set_agent(a.name);
  r.set_connections(a.connections);
  r.set_error(a.error);
  CounterValues sum;
  wire::Timings timings = a.summarized_timings;
  for (const v1::Interval& i : a.intervals) {
    *r.add_intervals() = i;
    sum += wire::CountersFromProto(i.counters());
    MergeTimings(i.timings(), &timings, a.name, nullptr);
  }
  if (a.ready.has_value()) {
    sum[Counter::kConnectionsEstablished] = a.ready->connections_established();
    sum[Counter::kConnectErrors] = a.ready->connections_failed();
    r.set_threads(a.ready->threads());
    r.set_engine(a.ready->engine());
  }
  wire::CountersToProto(sum, r.mutable_counters());
  const double seconds = a.intervals.empty() ? 0 : a.intervals.back().elapsed_s();
  r.set_measured_s(seconds);
  wire::RatesToProto(metrics::ComputeRates(sum, seconds), r.mutable_rates());
  wire::TimingsToProto(timings, /*with_histograms=*/true, r.mutable_timings());
  return r;
}

// Counters and percentiles stay; the histograms go.
void StripHistograms(v1::Interval* i) {
  for (v1::TimingHistogram& t : *i->mutable_timings()) t.clear_histogram();
  i->mutable_fairness()->clear_bytes_per_connection();
  i->mutable_tcp()->clear_rtt_us();
  i->mutable_tcp()->clear_cwnd();
}

// One line on the connects of a connect-rr run that failed, by kind, with the remedy for the
// kind a user can do something about.
std::string ChurnFailures(const metrics::CounterValues& sum) {
  const uint64_t failed = sum[Counter::kConnectErrors];
  const uint64_t no_port = sum[Counter::kConnectNoPort];
  const uint64_t refused = sum[Counter::kConnectRefused];
  std::vector<std::string> kinds;
  if (no_port > 0) {
    kinds.push_back(absl::StrCat(
        no_port,
        " found no free local port (spread the connections over --source-ips, close with "
        "--close rst, use more agents, or widen net.ipv4.ip_local_port_range)"));
  }
  if (refused > 0) kinds.push_back(absl::StrCat(refused, " refused by the target"));
  if (failed > no_port + refused) {
    kinds.push_back(absl::StrCat(failed - no_port - refused, " failed otherwise"));
  }
  return absl::StrCat(failed, " of ", failed + sum[Counter::kConnectionsEstablished],
                      " connects failed during the run: ", absl::StrJoin(kinds, "; "));
}

}  // namespace

void SummarizeInterval(AgentOutcome* outcome, size_t i) {
  v1::Interval& interval = outcome->intervals[i];
  MergeTimings(interval.timings(), &outcome->summarized_timings, outcome->name, nullptr);
  StripHistograms(&interval);
}

v1::IntervalPoint MergeInterval(uint32_t index, const std::vector<const v1::Interval*>& parts,
                                double nominal_interval_s) {
  v1::IntervalPoint p;
  p.set_index(index);
  CounterValues sum;
  wire::Timings timings;
  metrics::FairnessStats fairness;
  metrics::TcpHealthStats tcp;
  double elapsed = 0, max_cpu = 0, max_wait = 0;
  uint32_t late = 0;
  double pressure_ms = 0;
  for (const v1::Interval* i : parts) {
    late += i->late_ms() > 0;
    pressure_ms = std::max(pressure_ms, i->tcp_memory_pressure_ms());
    sum += wire::CountersFromProto(i->counters());
    MergeTimings(i->timings(), &timings, "", nullptr);
    // A malformed part is left out of these figures; the agent's totals say so elsewhere.
    if (auto f = wire::FairnessFromProto(i->fairness()); f.ok()) fairness.Merge(*f);
    if (auto t = wire::TcpHealthFromProto(i->tcp()); t.ok()) tcp.Merge(*t);
    for (const v1::WorkerLoad& w : i->workers()) {
      max_cpu = std::max(max_cpu, w.cpu_share());
      max_wait = std::max(max_wait, w.runqueue_share());
    }
    elapsed = std::max(elapsed, i->elapsed_s());
  }
  // Intervals are aligned by index from the common start, so every part covers the same span:
  // the nominal length, except a short final interval.
  double seconds = std::min(nominal_interval_s, elapsed - index * nominal_interval_s);
  if (seconds <= 0) seconds = nominal_interval_s;
  p.set_elapsed_s(elapsed);
  p.set_seconds(seconds);
  p.set_agents_reporting(static_cast<uint32_t>(parts.size()));
  wire::CountersToProto(sum, p.mutable_counters());
  wire::RatesToProto(metrics::ComputeRates(sum, seconds), p.mutable_rates());
  wire::TimingsToProto(timings, /*with_histograms=*/false, p.mutable_timings());
  wire::FairnessToProto(fairness, /*with_parts=*/false, p.mutable_fairness());
  wire::TcpHealthToProto(tcp, /*with_parts=*/false, p.mutable_tcp());
  p.set_max_worker_cpu_share(max_cpu);
  p.set_max_worker_runqueue_share(max_wait);
  p.set_late_agents(late);
  p.set_tcp_memory_pressure_ms(pressure_ms);
  return p;
}

void StampTimes(absl::Time started, absl::Duration warmup, v1::RunReport* report) {
  report->set_started_at(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", started, absl::UTCTimeZone()));
  const absl::Time measured_from = started + warmup;
  const auto at = [&](double elapsed_s) {
    return absl::ToUnixMillis(measured_from +
                              absl::Seconds(std::isfinite(elapsed_s) ? elapsed_s : 0));
  };
  for (v1::IntervalPoint& p : *report->mutable_intervals()) p.set_unix_ms(at(p.elapsed_s()));
  for (v1::AgentResult& a : *report->mutable_agents()) {
    for (v1::Interval& i : *a.mutable_intervals()) i.set_unix_ms(at(i.elapsed_s()));
  }
}

v1::RunReport BuildReport(const v1::Scenario& spec, std::vector<AgentOutcome> agents,
                          std::vector<std::string> reasons,
                          const std::vector<v1::IntervalPoint>& merged) {
  v1::RunReport report;
  report.set_salvo_version(SALVO_VERSION);
  *report.mutable_spec() = spec;
  CounterValues sum;
  wire::Timings timings;
  metrics::FairnessStats fairness;
  double measured_s = 0, cpu_s = 0;
  // Agents neither lost nor failed that sent no result: the run never got to them (the
  // controller's own reasons say why) or what they measured is missing.
  std::vector<std::string> silent;
  for (AgentOutcome& a : agents) {
    v1::AgentResult& r = *report.add_agents();
    // Moved, not copied: over a long run the interval series are most of the memory.
    r = a.result.has_value() ? std::move(*a.result) : ResultFromIntervals(a);
    if (r.agent().empty()) r.set_agent(a.name);
    if (!a.error.empty() && r.error().empty()) r.set_error(a.error);
    r.set_weight(a.weight);
    r.set_clock_offset_ms(a.clock_offset_ms);
    r.set_clock_error_ms(a.clock_error_ms);
    r.set_clock_rtt_ms(a.clock_rtt_ms);
    if (a.lost) {
      r.set_lost(true);
      r.set_lost_at_interval(a.lost_at_interval);
      report.add_lost_agents(
          absl::StrCat(a.name, " lost at interval ", a.lost_at_interval, ": ", a.error));
    } else if (!r.error().empty()) {
      reasons.push_back(absl::StrCat("agent ", a.name, ": ", r.error()));
    } else if (!a.result.has_value()) {
      silent.push_back(a.name);
    }
    sum += wire::CountersFromProto(r.counters());
    MergeTimings(r.timings(), &timings, a.name, &reasons);
    if (auto f = wire::FairnessFromProto(r.fairness()); f.ok()) {
      fairness.Merge(*f);
    } else {
      reasons.push_back(absl::StrCat("agent ", a.name,
                                     " sent malformed fairness figures: ", f.status().message()));
    }
    // Every agent's span starts at the common start; the run's ends with the last agent's.
    if (std::isfinite(r.measured_s())) measured_s = std::max(measured_s, r.measured_s());
    if (std::isfinite(r.cpu_s()) && r.cpu_s() > 0) cpu_s += r.cpu_s();
  }
  if (reasons.empty()) {
    for (const std::string& name : silent) {
      reasons.push_back(absl::StrCat("agent ", name, " ended without sending its result"));
    }
  }
  v1::Totals& totals = *report.mutable_totals();
  wire::CountersToProto(sum, totals.mutable_counters());
  totals.set_measured_s(measured_s);
  wire::RatesToProto(metrics::ComputeRates(sum, measured_s), totals.mutable_rates());
  totals.set_cpu_s(cpu_s);
  // Absent where they do not apply: nothing sent, no zero-copy send.
  if (sum[Counter::kBytesSent] > 0) {
    totals.set_cpu_ns_per_byte_sent(metrics::CpuNsPerByteSent(cpu_s, sum));
  }
  if (sum[Counter::kZcSends] > 0) totals.set_zc_copied_share(metrics::ZcCopiedShare(sum));
  if (spec.load().workload() == v1::WORKLOAD_STREAM_OUT ||
      (HasRoundTrips(spec.load().workload()) && spec.load().pipeline() > 1)) {
    totals.set_messages_per_send(metrics::MessagesPerSend(sum));
  }
  wire::TimingsToProto(timings, /*with_histograms=*/true, report.mutable_timings());
  for (v1::TimingHistogram& t : *report.mutable_timings()) {
    wire::AddBucketBounds(t.mutable_histogram());
  }
  wire::FairnessToProto(fairness, /*with_parts=*/false, report.mutable_fairness());
  // Pointers into report.agents() are stable now that no agent is added any more.
  std::map<uint32_t, std::vector<const v1::Interval*>> by_index;
  for (const v1::AgentResult& r : report.agents()) {
    for (const v1::Interval& i : r.intervals()) by_index[i.index()].push_back(&i);
  }
  const double interval_s = static_cast<double>(spec.load().interval_ms()) / 1000;
  for (uint32_t index = 0; index < merged.size(); ++index) {
    // Already merged live; a part that arrived after that merge is left out of it.
    *report.add_intervals() = merged[index];
    by_index.erase(index);
  }
  for (const auto& [index, parts] : by_index) {
    *report.add_intervals() = MergeInterval(index, parts, interval_s);
  }
  // Each agent's interval series keeps its counters and percentiles; the histograms served the
  // merges above and would add tens of KB per agent and interval to the JSON.
  for (v1::AgentResult& r : *report.mutable_agents()) {
    for (v1::Interval& i : *r.mutable_intervals()) StripHistograms(&i);
  }
  if (reasons.empty() && measured_s > 0 && sum[Counter::kMessages] == 0 &&
      sum[Counter::kConnectionsEstablished] > 0) {
    // Connections were up and the run lasted, yet nothing completed: for rr, usually a response
    // framing that never matches what the server sends; unless the server sent nothing at all.
    const bool framed = spec.load().workload() == v1::WORKLOAD_RR || !spec.load().request().empty();
    const bool echoing = framed || spec.load().workload() == v1::WORKLOAD_ECHO;
    reasons.push_back(absl::StrFormat(
        "no message completed in %.1f s measured%s", measured_s,
        echoing && sum[Counter::kBytesReceived] == 0 ? " (the target sent nothing back)"
        : framed ? " (do --response-bytes or --response-until match the server's responses?)"
                 : ""));
  }
  if (reasons.empty() && spec.load().workload() == v1::WORKLOAD_CONNECT_RR &&
      sum[Counter::kConnectErrors] > 0) {
    // The connect phase's failures stop a run before it starts; these happened during it.
    reasons.push_back(ChurnFailures(sum));
  }
  if (sum[Counter::kUnrequestedResponses] > 0) {
    reasons.push_back(absl::StrCat(
        "the target sent ", sum[Counter::kUnrequestedResponses],
        " responses with no request awaiting them (it answers some requests more than once): the "
        "round trips after the first are not to be trusted"));
  }
  if (sum[Counter::kVerifyErrors] > 0) {
    // Stream-in sent nothing: its bytes are checked against the pattern a salvo-target source
    // pushes.
    reasons.push_back(absl::StrCat(
        sum[Counter::kVerifyErrors],
        spec.load().workload() == v1::WORKLOAD_STREAM_IN
            ? " received bytes differ from the pattern a salvo-target source sends (--verify "
              "needs a salvo-target --mode source)"
            : " received bytes differ from what was sent (--verify)"));
  }
  if (!agents.empty() && report.lost_agents_size() == static_cast<int>(agents.size())) {
    // Nothing is left to be partial about.
    reasons.push_back(agents.size() == 1
                          ? std::string("the only agent was lost")
                          : absl::StrCat("every agent was lost (all ", agents.size(), ")"));
  }
  Diagnosis diagnosis = Diagnose(report, interval_s);
  for (auto& d : diagnosis.lines) report.add_diagnostics(std::move(d));
  for (auto& f : diagnosis.failures) reasons.push_back(std::move(f));
  // Reasons can repeat when the controller and an agent saw the same failure.
  std::vector<std::string> unique;
  for (auto& r : reasons) {
    if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(std::move(r));
  }
  for (auto& r : unique) report.add_reasons(std::move(r));
  // Start skew: each agent's first send moved into the controller's clock. In doubles: an
  // agent's figures are not trusted to be in range.
  const auto first_send = [](const v1::AgentResult& r) -> std::optional<double> {
    const double t = static_cast<double>(r.first_send_unix_ns()) - r.clock_offset_ms() * 1e6;
    if (r.first_send_unix_ns() <= 0 || !std::isfinite(t)) return std::nullopt;
    return t;
  };
  std::optional<double> earliest, latest;
  for (const v1::AgentResult& r : report.agents()) {
    const std::optional<double> t = first_send(r);
    if (!t.has_value()) continue;
    earliest = std::min(earliest.value_or(*t), *t);
    latest = std::max(latest.value_or(*t), *t);
  }
  if (earliest.has_value()) {
    report.set_start_skew_ms((*latest - *earliest) / 1e6);
    for (v1::AgentResult& r : *report.mutable_agents()) {
      if (const std::optional<double> t = first_send(r); t.has_value()) {
        r.set_start_lag_ms((*t - *earliest) / 1e6);
      }
    }
  }
  report.set_status(wire::ToProto(!report.reasons().empty()       ? plan::RunStatus::kFailed
                                  : !report.lost_agents().empty() ? plan::RunStatus::kPartial
                                                                  : plan::RunStatus::kOk));
  return report;
}

}  // namespace salvo::driver
