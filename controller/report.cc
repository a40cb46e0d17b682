#include "controller/report.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "metrics/histogram.h"
#include "metrics/thread_stats.h"

namespace salvo::controller {
namespace {

using metrics::CounterValues;
using metrics::Histogram;
using metrics::Stat;

uint64_t Get(const CounterValues& v, Stat s) { return v[static_cast<int>(s)]; }

void AddInto(CounterValues& sum, const v1::Counters& c) {
  const CounterValues v = metrics::CountersFromProto(c);
  for (int i = 0; i < metrics::kNumStats; ++i) sum[i] += v[i];
}

// What an agent that never sent its result still contributed: its live intervals.
v1::AgentResult ResultFromIntervals(const AgentOutcome& a) {
  v1::AgentResult r;
  r.set_agent(a.name);
  r.set_connections(a.connections);
  r.set_error(a.error);
  CounterValues sum{};
  Histogram latency;
  for (const v1::Interval& i : a.intervals) {
    *r.add_intervals() = i;
    AddInto(sum, i.counters());
    if (auto h = Histogram::FromProto(i.latency()); h.ok()) latency.Merge(*h);
  }
  if (a.ready.has_value()) {
    sum[static_cast<int>(Stat::kConnectionsEstablished)] = a.ready->connections_established();
    sum[static_cast<int>(Stat::kConnectErrors)] = a.ready->connections_failed();
    r.set_threads(a.ready->threads());
  }
  metrics::CountersToProto(sum, r.mutable_counters());
  const double seconds = a.intervals.empty() ? 0 : a.intervals.back().elapsed_s();
  r.set_measured_s(seconds);
  if (seconds > 0) {
    const double ops = static_cast<double>(Get(sum, Stat::kSendCalls) + Get(sum, Stat::kRecvCalls));
    r.mutable_rates()->set_tps(ops / seconds);
    r.mutable_rates()->set_messages_per_sec(static_cast<double>(Get(sum, Stat::kMessages)) /
                                            seconds);
    r.mutable_rates()->set_mb_per_sec_sent(static_cast<double>(Get(sum, Stat::kBytesSent)) / 1e6 /
                                           seconds);
    r.mutable_rates()->set_mb_per_sec_received(static_cast<double>(Get(sum, Stat::kBytesReceived)) /
                                               1e6 / seconds);
  }
  latency.ToProto(r.mutable_latency());
  latency.Summarize(r.mutable_latency_summary());
  return r;
}

// Totals repeats, under the same names, the counters a reader wants at the top level.
void CountersIntoTotals(const CounterValues& sum, v1::Totals* totals) {
  const auto* descriptor = v1::Totals::descriptor();
  const auto* reflection = totals->GetReflection();
  for (int i = 0; i < metrics::kNumStats; ++i) {
    if (const auto* field = descriptor->FindFieldByName(metrics::kStatNames[i])) {
      reflection->SetUInt64(totals, field, sum[i]);
    }
  }
}

void Diagnose(const v1::RunReport& report, double nominal_interval_s,
              std::vector<std::string>* out) {
  // Only whole intervals: a short final interval would look like a collapse.
  std::vector<const v1::IntervalPoint*> full;
  for (int i = 0; i < report.intervals_size(); ++i) {
    const double start = i == 0 ? 0 : report.intervals(i - 1).elapsed_s();
    if (report.intervals(i).elapsed_s() - start >= 0.5 * nominal_interval_s) {
      full.push_back(&report.intervals(i));
    }
  }
  uint32_t stalled_intervals = 0, worst_starved = 0, worst_index = 0;
  for (const auto* p : full) {
    if (p->starved_connections() > 0) {
      ++stalled_intervals;
      if (p->starved_connections() > worst_starved) {
        worst_starved = p->starved_connections();
        worst_index = p->index();
      }
    }
  }
  if (stalled_intervals > 0) {
    out->push_back(absl::StrFormat(
        "stall: in %u of %u intervals some connections moved no bytes (worst: interval %u, %u of "
        "%u connections); a receiver that does not drain every connection, or peers whose "
        "window closed, starve them",
        stalled_intervals, full.size(), worst_index, worst_starved,
        report.totals().connections_established()));
  }
  double peak = 0;
  uint32_t peak_index = 0;
  for (const auto* p : full) {
    if (p->tps() > peak) {
      peak = p->tps();
      peak_index = p->index();
    }
    if (peak > 0 && p->tps() < 0.5 * peak) {
      out->push_back(absl::StrFormat(
          "throughput collapse: interval %u fell to %.0f%% of the peak (interval %u)%s", p->index(),
          100 * p->tps() / peak, peak_index,
          p->starved_connections() > 0
              ? absl::StrCat(", with ", p->starved_connections(), " connections starved")
              : ""));
      break;
    }
  }
  const v1::Totals& t = report.totals();
  if (t.zc_sends() > 0 && t.zc_copied() == t.zc_sends()) {
    out->push_back(absl::StrCat(
        "zero-copy fell back to copy for 100% of sends: the kernel copied every one (always so "
        "over loopback and veth), so this is not a zero-copy result"));
  } else if (t.zc_copied() > 0) {
    out->push_back(absl::StrFormat("zero-copy fell back to copy for %.1f%% of sends",
                                   100 * t.zc_copied_share()));
  }
  uint64_t closed = 0;
  for (const auto& p : report.intervals()) closed += p.counters().closed_by_peer();
  if (closed > 0) {
    out->push_back(absl::StrCat(closed, " connections were closed by the target during the run"));
  }
}

}  // namespace

v1::IntervalPoint MergeInterval(uint32_t index, const std::vector<const v1::Interval*>& parts,
                                double nominal_interval_s) {
  v1::IntervalPoint p;
  p.set_index(index);
  CounterValues sum{};
  Histogram latency;
  double seconds = 0, elapsed = 0;
  for (const v1::Interval* i : parts) {
    AddInto(sum, i->counters());
    if (auto h = Histogram::FromProto(i->latency()); h.ok()) latency.Merge(*h);
    p.set_starved_connections(p.starved_connections() + i->fairness().starved_connections());
    elapsed = std::max(elapsed, i->elapsed_s());
  }
  // Intervals are aligned by index from the common start, so every part covers the same span;
  // the nominal length is used except for a short final interval.
  seconds = std::min(nominal_interval_s, elapsed - index * nominal_interval_s);
  if (seconds <= 0) seconds = nominal_interval_s;
  p.set_elapsed_s(elapsed);
  p.set_agents_reporting(static_cast<uint32_t>(parts.size()));
  const double ops = static_cast<double>(Get(sum, Stat::kSendCalls) + Get(sum, Stat::kRecvCalls));
  p.set_tps(ops / seconds);
  p.set_messages_per_sec(static_cast<double>(Get(sum, Stat::kMessages)) / seconds);
  p.set_mb_per_sec_sent(static_cast<double>(Get(sum, Stat::kBytesSent)) / 1e6 / seconds);
  p.set_mb_per_sec_received(static_cast<double>(Get(sum, Stat::kBytesReceived)) / 1e6 / seconds);
  p.set_p50_us(latency.Percentile(50) / 1000);
  p.set_p99_us(latency.Percentile(99) / 1000);
  metrics::CountersToProto(sum, p.mutable_counters());
  return p;
}

v1::RunReport BuildReport(const v1::RunSpecSummary& spec, const std::vector<AgentOutcome>& agents,
                          std::vector<std::string> reasons) {
  v1::RunReport report;
  report.set_salvo_version(SALVO_VERSION);
  *report.mutable_spec() = spec;
  CounterValues sum{};
  Histogram latency, send_call, zc_completion;
  v1::Totals& totals = *report.mutable_totals();
  std::map<uint32_t, std::vector<const v1::Interval*>> by_index;
  for (const AgentOutcome& a : agents) {
    v1::AgentResult& r = *report.add_agents();
    r = a.result.has_value() ? *a.result : ResultFromIntervals(a);
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
    }
    AddInto(sum, r.counters());
    absl::StatusOr<Histogram> h = Histogram::FromProto(r.latency());
    if (h.ok()) {
      latency.Merge(*h);
    } else {
      reasons.push_back(
          absl::StrCat("agent ", a.name, " sent a malformed histogram: ", h.status().message()));
    }
    totals.set_tps(totals.tps() + r.rates().tps());
    totals.set_messages_per_sec(totals.messages_per_sec() + r.rates().messages_per_sec());
    totals.set_mb_per_sec_sent(totals.mb_per_sec_sent() + r.rates().mb_per_sec_sent());
    totals.set_mb_per_sec_received(totals.mb_per_sec_received() + r.rates().mb_per_sec_received());
    totals.set_measured_s(std::max(totals.measured_s(), r.measured_s()));
    totals.set_cpu_s(totals.cpu_s() + r.cpu_s());
    if (auto s = Histogram::FromProto(r.send_call()); s.ok()) send_call.Merge(*s);
    if (auto z = Histogram::FromProto(r.zc_completion()); z.ok()) zc_completion.Merge(*z);
  }
  // Pointers into report.agents() are stable now that no agent is added any more.
  for (const v1::AgentResult& r : report.agents()) {
    for (const v1::Interval& i : r.intervals()) by_index[i.index()].push_back(&i);
  }
  CountersIntoTotals(sum, &totals);
  if (totals.zc_sends() > 0) {
    totals.set_zc_copied_share(static_cast<double>(totals.zc_copied()) /
                               static_cast<double>(totals.zc_sends()));
  }
  if (totals.bytes_sent() > 0) {
    totals.set_cpu_ns_per_byte_sent(totals.cpu_s() * 1e9 /
                                    static_cast<double>(totals.bytes_sent()));
  }
  latency.Summarize(report.mutable_latency());
  send_call.Summarize(report.mutable_send_call());
  zc_completion.Summarize(report.mutable_zc_completion());
  for (const auto& [index, parts] : by_index) {
    *report.add_intervals() = MergeInterval(index, parts, spec.interval_s());
  }
  if (totals.verify_errors() > 0) {
    reasons.push_back(absl::StrCat(totals.verify_errors(),
                                   " received bytes differ from what was sent (--verify)"));
  }
  std::vector<std::string> diagnostics;
  Diagnose(report, spec.interval_s(), &diagnostics);
  for (auto& d : diagnostics) report.add_diagnostics(std::move(d));
  // Reasons can repeat when the controller and an agent saw the same failure.
  std::vector<std::string> unique;
  for (auto& r : reasons) {
    if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(std::move(r));
  }
  for (auto& r : unique) report.add_reasons(std::move(r));
  // Start skew: each agent's first send moved into the controller's clock.
  int64_t earliest = 0, latest = 0;
  for (const v1::AgentResult& r : report.agents()) {
    if (r.first_send_unix_ns() == 0) continue;
    const int64_t t = r.first_send_unix_ns() - static_cast<int64_t>(r.clock_offset_ms() * 1e6);
    if (earliest == 0 || t < earliest) earliest = t;
    if (latest == 0 || t > latest) latest = t;
  }
  if (earliest != 0) {
    report.set_start_skew_ms(static_cast<double>(latest - earliest) / 1e6);
    for (v1::AgentResult& r : *report.mutable_agents()) {
      if (r.first_send_unix_ns() == 0) continue;
      const int64_t t = r.first_send_unix_ns() - static_cast<int64_t>(r.clock_offset_ms() * 1e6);
      r.set_start_lag_ms(static_cast<double>(t - earliest) / 1e6);
    }
  }
  report.set_status(!report.reasons().empty()       ? "failed"
                    : !report.lost_agents().empty() ? "partial"
                                                    : "ok");
  return report;
}

}  // namespace salvo::controller
