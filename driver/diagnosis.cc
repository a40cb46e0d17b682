#include "driver/diagnosis.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "driver/report.h"
#include "metrics/connection_stats.h"
#include "units/units.h"
#include "wire/figures.h"

namespace salvo::driver {
namespace {

using metrics::Timing;

// Open loop: the share of the messages due that must be sent for the schedule to count as kept.
constexpr double kOpenLoopKeptShare = 0.95;

struct Span {
  size_t first = 0, last = 0;  // indexes into the interval series, inclusive
};

// Maximal runs of consecutive intervals for which `holds` is true.
std::vector<Span> Runs(const std::vector<const v1::IntervalPoint*>& series,
                       const std::function<bool(const v1::IntervalPoint&)>& holds) {
  std::vector<Span> out;
  for (size_t i = 0; i < series.size(); ++i) {
    if (!holds(*series[i])) continue;
    if (!out.empty() && out.back().last + 1 == i) {
      out.back().last = i;
    } else {
      out.push_back({i, i});
    }
  }
  return out;
}

double StartOf(const std::vector<const v1::IntervalPoint*>& series, size_t i, double interval_s) {
  return std::max(0.0, series[i]->index() * interval_s);
}

bool GeneratorBound(const v1::IntervalPoint& p) {
  return p.max_worker_runqueue_share() >= kGeneratorWaitShare ||
         p.max_worker_cpu_share() >= kGeneratorCpuShare;
}

// An interval that can show neither a stall nor a collapse: some worker did not sample its
// connections at its end (its bytes are in the next interval), or an agent sampled it late (its
// process, and so its load, did not run for a while, and the intervals after it catch up with
// samples taken moments apart).
bool Partial(const v1::IntervalPoint& p) {
  return p.fairness().unsampled_connections() > 0 || p.late_agents() > 0;
}

// An interval that says nothing about the target: the generator was the bottleneck and no peer
// closed its window (a closed window is the target's doing however busy the generator was), or
// it was not sampled whole.
bool Unreliable(const v1::IntervalPoint& p) {
  return (GeneratorBound(p) && p.tcp().zero_window() == 0) || Partial(p);
}

std::string Percent(double share) { return absl::StrFormat("%.0f%%", 100 * share); }

void GeneratorLines(const v1::RunReport& r, const std::vector<const v1::IntervalPoint*>& series,
                    double interval_s, Diagnosis* d) {
  for (const Span& s : Runs(series, GeneratorBound)) {
    // Name the worst worker of the span, with its agent.
    std::string who;
    double worst_wait = 0, worst_cpu = 0;
    for (const v1::AgentResult& a : r.agents()) {
      for (const v1::Interval& i : a.intervals()) {
        if (i.index() < series[s.first]->index() || i.index() > series[s.last]->index()) continue;
        for (const v1::WorkerLoad& w : i.workers()) {
          if (w.runqueue_share() > worst_wait || (worst_wait == 0 && w.cpu_share() > worst_cpu)) {
            worst_wait = w.runqueue_share();
            worst_cpu = w.cpu_share();
            who = absl::StrCat(r.agents_size() > 1 ? absl::StrCat("agent ", a.agent(), " ") : "",
                               "worker ", w.worker());
          }
        }
      }
    }
    const std::string what = worst_wait >= kGeneratorWaitShare
                                 ? absl::StrCat("waited for a CPU ", Percent(worst_wait))
                                 : absl::StrCat("was on a CPU ", Percent(worst_cpu));
    d->lines.push_back(absl::StrFormat(
        "generator-bound: %s %s of t=%.1f-%.1f s; these intervals say nothing about the target",
        who, what, StartOf(series, s.first, interval_s), series[s.last]->elapsed_s()));
  }
}

// Agents whose samples came late: their process did not run (stopped, swapped out, starved of
// CPU), and neither did their load. Named, with the intervals the diagnosis leaves out.
void LateLines(const v1::RunReport& r, Diagnosis* d) {
  for (const v1::AgentResult& a : r.agents()) {
    double worst_ms = 0, from_s = -1, to_s = 0;
    for (const v1::Interval& i : a.intervals()) {
      if (i.late_ms() <= 0) continue;
      worst_ms = std::max(worst_ms, i.late_ms());
      if (from_s < 0) from_s = std::max(0.0, i.elapsed_s() - i.seconds());
      to_s = i.elapsed_s();
    }
    if (from_s < 0) continue;
    d->lines.push_back(absl::StrFormat(
        "late: agent %s sampled t=%.1f-%.1f s up to %s late; its process did not run meanwhile "
        "(stopped, swapped out or starved of CPU), so neither did its load, and those intervals "
        "show no stall, starvation or collapse",
        a.agent(), from_s, to_s, units::FormatMicros(1000 * worst_ms)));
  }
}

}  // namespace

// Open loop: whether the agents sent what their schedules asked for, and if not, whose fault it
// was. Messages that waited for a busy connection (the target's pace) are the measurement; a
// schedule the agents could not keep with free connections is the generator's failure.
// `generator_bound`: some worker was saturated (on a CPU, or waiting for one, half the time or
// more); a milder run-queue wait cannot explain connections kept busy.
void OpenLoopLines(const v1::RunReport& r, bool generator_bound, Diagnosis* d) {
  const v1::Counters& c = r.totals().counters();
  const uint64_t due = c.messages_due();
  if (!IsOpenLoop(r.spec().load()) || due == 0) return;
  // Corrected latency the generator made: its own lateness against the schedule, next to what
  // the target took to answer.
  const v1::LatencySummary& lag = wire::FindSummary(r.timings(), Timing::kGeneratorLag);
  const v1::LatencySummary& corrected = wire::FindSummary(r.timings(), Timing::kRoundTrip);
  const v1::LatencySummary& service = wire::FindSummary(r.timings(), Timing::kServiceTime);
  if (corrected.count() > 0 && lag.count() > 0 && lag.p99_us() >= 0.5 * corrected.p99_us()) {
    d->lines.push_back(absl::StrFormat(
        "generator-lag: the generator's own lateness (p99 %s, with the connection free) is %s "
        "of the corrected round-trip p99 (%s); the target's service time p99 is %s. The "
        "corrected latency here is salvo's, not the target's",
        units::FormatMicros(lag.p99_us()),
        Percent(std::min(1.0, lag.p99_us() / corrected.p99_us())),
        units::FormatMicros(corrected.p99_us()), units::FormatMicros(service.p99_us())));
  }
  const uint64_t sent = wire::FindSummary(r.timings(), Timing::kScheduleLag).count();
  const double sent_share = static_cast<double>(sent) / static_cast<double>(due);
  const double busy_share = static_cast<double>(c.pipeline_full()) / static_cast<double>(due);
  if (sent_share >= kOpenLoopKeptShare) return;
  // Whose fault the unsent messages are: the target's if most of them came due while their
  // connection was busy with messages in flight, the generator's otherwise.
  // A generator whose workers were saturated is at fault whatever its connections were doing.
  const uint64_t unsent = due > sent ? due - sent : 0;
  if (!generator_bound && 2 * c.pipeline_full() >= unsent) {
    d->lines.push_back(absl::StrFormat(
        "overloaded: the target did not keep up with the offered load: %s of the messages due "
        "came while their connection was busy%s; round trips count from the intended send times",
        Percent(busy_share),
        HasRoundTrips(r.spec().load().workload())
            ? " (--pipeline bounds the messages in flight per connection)"
            : ""));
    return;
  }
  d->failures.push_back(absl::StrFormat(
      "the generator could not keep up: it sent %s of the %s messages due (%s) %s; the achieved "
      "rate is the agents' limit, not the target's",
      units::FormatCount(static_cast<double>(sent)), units::FormatCount(static_cast<double>(due)),
      Percent(sent_share),
      generator_bound ? "with its workers saturated (see generator-bound)"
                      : "while its connections were free"));
}

Diagnosis Diagnose(const v1::RunReport& r, double interval_s) {
  Diagnosis d;
  // Only whole intervals: a short final interval would look like a stall or a collapse.
  std::vector<const v1::IntervalPoint*> series;
  for (int i = 0; i < r.intervals_size(); ++i) {
    const double start = i == 0 ? 0 : r.intervals(i - 1).elapsed_s();
    if (r.intervals(i).elapsed_s() - start >= 0.5 * interval_s) series.push_back(&r.intervals(i));
  }
  GeneratorLines(r, series, interval_s, &d);
  LateLines(r, &d);
  for (const Span& s : Runs(series, [](const v1::IntervalPoint& p) {
         return p.fairness().unsampled_connections() > 0;
       })) {
    uint32_t most = 0;
    for (size_t i = s.first; i <= s.last; ++i) {
      most = std::max(most, series[i]->fairness().unsampled_connections());
    }
    d.lines.push_back(absl::StrFormat(
        "unsampled: a worker busy past the sampling timeout left up to %u connections out of "
        "t=%.1f-%.1f s; their bytes count in the next interval, and these intervals show no "
        "stall or collapse",
        most, StartOf(series, s.first, interval_s), series[s.last]->elapsed_s()));
  }
  OpenLoopLines(r,
                std::any_of(series.begin(), series.end(),
                            [](const v1::IntervalPoint* p) {
                              return p->max_worker_cpu_share() >= kGeneratorCpuShare ||
                                     p->max_worker_runqueue_share() >= kSaturatedWaitShare;
                            }),
                &d);

  const auto all_stalled = [](const v1::IntervalPoint& p) {
    return p.fairness().connections() > 0 &&
           p.fairness().starved_connections() == p.fairness().connections() && !Unreliable(p);
  };
  const std::vector<Span> stalls = Runs(series, all_stalled);
  for (const Span& s : stalls) {
    const v1::IntervalPoint& last = *series[s.last];
    d.lines.push_back(absl::StrFormat(
        "stall: all %u connections delivered nothing from t=%.1f s to t=%.1f s%s",
        last.fairness().connections(), StartOf(series, s.first, interval_s), last.elapsed_s(),
        last.tcp().zero_window() > 0 ? absl::StrCat("; peer window 0 on ", last.tcp().zero_window())
                                     : ""));
  }
  if (!stalls.empty() && stalls.back().last + 1 == series.size()) {
    const Span& s = stalls.back();
    d.failures.push_back(
        absl::StrFormat("every connection stalled at the end: nothing delivered from t=%.1f s",
                        StartOf(series, s.first, interval_s)));
  }

  // Some connections starved while others delivered, for two intervals or more in a row. A busy
  // generator slows every connection alike (salvo drains them fairly); it cannot starve some
  // completely while serving others, so this is not excused by a generator-bound interval.
  // Starved connections with open peer windows while the host's TCP was under memory pressure:
  // the kernel withheld their send buffer, which is this host's doing, not the target's.
  const auto host_starved = [](const v1::IntervalPoint& p) {
    return p.fairness().starved_connections() > 0 && p.tcp_memory_pressure_ms() > 0 &&
           p.tcp().starved_zero_window() == 0;
  };
  const auto some_starved = [&host_starved](const v1::IntervalPoint& p) {
    return !Partial(p) && !host_starved(p) && p.fairness().starved_connections() > 0 &&
           p.fairness().starved_connections() < p.fairness().connections();
  };
  for (const Span& s : Runs(series, host_starved)) {
    double pressure_ms = 0;
    uint32_t most = 0;
    for (size_t i = s.first; i <= s.last; ++i) {
      pressure_ms += series[i]->tcp_memory_pressure_ms();
      most = std::max(most, series[i]->fairness().starved_connections());
    }
    d.lines.push_back(absl::StrFormat(
        "memory-pressure: the agent host's TCP was under memory pressure for %.0f ms in "
        "t=%.1f-%.1f s, and up to %u connections with open peer windows sent nothing: the kernel "
        "withheld their send buffer (net.ipv4.tcp_mem), which is this host's limit, not the "
        "target's",
        pressure_ms, StartOf(series, s.first, interval_s), series[s.last]->elapsed_s(), most));
  }
  uint32_t served_first = 0;
  for (const v1::AgentResult& a : r.agents()) {
    served_first = std::max(served_first, a.served_first_connected());
  }
  // Two intervals at least, and half a second: with 10 ms intervals, 20 ms without a delivered
  // byte is a scheduling hiccup, not a starved connection.
  const auto long_enough = [interval_s](const Span& s) {
    return s.last > s.first && (s.last - s.first + 1) * interval_s >= 0.5;
  };
  for (const Span& s : Runs(series, some_starved)) {
    if (!long_enough(s)) continue;
    const v1::IntervalPoint& p = *series[s.last];
    const v1::Fairness& f = p.fairness();
    const uint32_t served = f.connections() - f.starved_connections();
    std::string line = absl::StrFormat(
        "starved: %u of %u connections delivered nothing from t=%.1f s%s; %u carried 100%% (Jain "
        "%.2f)",
        f.starved_connections(), f.connections(), StartOf(series, s.first, interval_s),
        s.last + 1 < series.size() ? absl::StrFormat(" to t=%.1f s", p.elapsed_s()) : "", served,
        f.jain());
    if (p.tcp().sampled_connections() > 0) {
      // The starved connections whose window was closed; a served one can be full for a moment.
      absl::StrAppend(&line, absl::StrFormat("; peer window 0 on %u, receiver-window-limited %s",
                                             p.tcp().starved_zero_window(),
                                             Percent(p.tcp().rwnd_limited_share())));
      if (p.tcp().starved_zero_window() > 0) {
        absl::StrAppend(&line, ": the target is not reading them");
      }
    }
    absl::StrAppend(&line, ".");
    if (served_first > 0 && r.agents_size() == 1) {
      absl::StrAppend(&line, " The ", served_first, " served are the first ", served_first,
                      " connected.");
    }
    d.lines.push_back(line);
  }

  // Unfair without starvation, over the whole run.
  const v1::Fairness& whole = r.fairness();
  bool any_starved = false;
  for (const v1::AgentResult& a : r.agents()) any_starved |= a.starved_three_intervals() > 0;
  // Only what the lines above name: a single interval of starvation draws no starved line, so
  // it must not silence this one either.
  for (const Span& s : Runs(series, some_starved)) any_starved |= long_enough(s);
  for (const v1::IntervalPoint* p : series) any_starved |= all_stalled(*p) || host_starved(*p);
  if (!any_starved && whole.connections() >= 2 && whole.jain() > 0 && whole.jain() < kUnfairJain) {
    // The run-level fairness travels without its per-connection parts: the share is sent
    // computed (it read 0% when worked out here from the missing parts).
    const uint32_t top = std::max<uint32_t>(1, whole.connections() / 10);
    d.lines.push_back(absl::StrFormat(
        "unfair: the busiest %u connections (%s) carried %s of the bytes (Jain %.2f); none "
        "starved",
        top, Percent(static_cast<double>(top) / whole.connections()),
        Percent(whole.top_tenth_share()), whole.jain()));
  }

  const v1::Counters& c = r.totals().counters();
  if (c.connections_holding_data() > 0) {
    // What was in flight when the run ended: nothing measured is dropped without a word.
    const v1::Workload w = r.spec().load().workload();
    const auto held = static_cast<unsigned long long>(c.connections_holding_data());
    const double drain_s = r.spec().load().drain_ms() / 1000.0;
    if (w == v1::WORKLOAD_STREAM_OUT) {
      d.lines.push_back(absl::StrFormat(
          "drain: %llu connections still held data %.1f s after the end; %s never acknowledged",
          held, drain_s, units::FormatBytes(c.bytes_undelivered())));
    } else if (w == v1::WORKLOAD_ECHO) {
      d.lines.push_back(absl::StrFormat(
          "drain: %llu connections still awaited echoes %.1f s after the end; %s sent and never "
          "echoed back",
          held, drain_s, units::FormatBytes(c.bytes_undelivered())));
    } else {
      d.lines.push_back(absl::StrFormat(
          "drain: %llu connections still awaited a response %.1f s after the end", held, drain_s));
    }
  }

  // Throughput that fell to half its peak, where nothing above explains it. Not in an open loop:
  // there the offered rate sets the pace (and --stages may ramp it down on purpose); a target
  // that cannot follow it is named by OpenLoopLines.
  // Stream-out's throughput is what reached the target: its send completions can fall while
  // delivery holds (larger sends), and rise while it collapses (a full window returns at once).
  const bool by_delivery = r.spec().load().workload() == v1::WORKLOAD_STREAM_OUT;
  double peak = 0;
  uint32_t peak_index = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const v1::IntervalPoint* p = series[i];
    if (IsOpenLoop(r.spec().load())) break;
    const double figure =
        by_delivery ? p->rates().mb_per_sec_delivered() : p->rates().completions_per_sec();
    // After a partial interval comes one holding two intervals' worth of a late worker's bytes:
    // no peak.
    const bool catching_up = i > 0 && Partial(*series[i - 1]);
    if (figure > peak && !catching_up && !Partial(*p)) {
      peak = figure;
      peak_index = p->index();
    }
    if (peak > 0 && figure < 0.5 * peak && !Unreliable(*p)) {
      d.lines.push_back(
          absl::StrFormat("collapse: %s fell to %.0f%% of the peak (t=%.1f s) at t=%.1f s",
                          by_delivery ? "delivered MB/s" : "completions per second",
                          100 * figure / peak, (peak_index + 1) * interval_s, p->elapsed_s()));
      break;
    }
  }

  if (c.zc_sends() > 0 && c.zc_copied() == c.zc_sends()) {
    d.lines.push_back(
        "zero-copy fell back to copy for 100% of sends: the kernel copied every one (always so "
        "over loopback and veth), so this is not a zero-copy result");
  } else if (c.zc_copied() > 0) {
    d.lines.push_back(absl::StrFormat("zero-copy fell back to copy for %.1f%% of sends",
                                      100 * r.totals().zc_copied_share()));
  }

  // Connections lost while the run was measured: those the target closed or reset are its
  // doing; those our own kernel gave up on (retransmissions unanswered) are the path's or the
  // target host's silence, which is not a reset and is said apart.
  uint64_t closed = 0, errors = 0, timed_out = 0;
  double first_closed_s = -1, first_timed_out_s = -1;
  for (const v1::IntervalPoint& p : r.intervals()) {
    const v1::Counters& k = p.counters();
    const uint64_t errors_here = k.recv_errors() + k.send_errors();
    const uint64_t timed_out_here = std::min(k.connections_timed_out(), errors_here);
    closed += k.closed_by_peer();
    errors += errors_here - timed_out_here;
    timed_out += timed_out_here;
    if (k.closed_by_peer() + errors_here - timed_out_here > 0 && first_closed_s < 0) {
      first_closed_s = p.index() * interval_s;
    }
    if (timed_out_here > 0 && first_timed_out_s < 0) first_timed_out_s = p.index() * interval_s;
  }
  if (closed + errors > 0) {
    d.failures.push_back(absl::StrFormat(
        "the target closed %llu and reset or failed %llu connections during the measured time, "
        "the first in the interval from t=%.1f s",
        static_cast<unsigned long long>(closed), static_cast<unsigned long long>(errors),
        first_closed_s));
  }
  if (timed_out > 0) {
    d.failures.push_back(absl::StrFormat(
        "our kernel gave up on %llu connections during the measured time (ETIMEDOUT: their "
        "retransmissions went unacknowledged), the first in the interval from t=%.1f s; the "
        "path or the target's host went silent, nothing reset them",
        static_cast<unsigned long long>(timed_out), first_timed_out_s));
  }
  return d;
}

}  // namespace salvo::driver
