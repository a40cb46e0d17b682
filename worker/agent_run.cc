#include "worker/agent_run.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "host/environment.h"
#include "metrics/clock.h"
#include "metrics/thread_stats.h"
#include "net/engine_factory.h"
#include "net/socket.h"
#include "net/tcp_info.h"
#include "process/schedstat.h"
#include "status/status_macros.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "worker/load_run.h"

namespace salvo::worker {
namespace {

using metrics::Counter;
using metrics::StatsSnapshot;

// The one place an interval's length and rates are worked out on the agent's side.
void FillInterval(uint32_t index, double elapsed_s, double seconds, const StatsSnapshot& delta,
                  v1::Interval* out) {
  out->set_index(index);
  out->set_elapsed_s(elapsed_s);
  out->set_seconds(seconds);
  wire::CountersToProto(delta.counters, out->mutable_counters());
  wire::RatesToProto(metrics::ComputeRates(delta.counters, seconds), out->mutable_rates());
  wire::TimingsToProto(delta.timings, /*with_histograms=*/true, out->mutable_timings());
  wire::FairnessToProto(delta.DeliveredFairness(), /*with_parts=*/true, out->mutable_fairness());
  wire::TcpHealthToProto(delta.TcpHealth(), /*with_parts=*/true, out->mutable_tcp());
}

// Each worker's CPU and run-queue wait between two of its own schedstat readings (see
// LoadRun::WorkerSched): both shares over the same span, so neither passes 100%. The span is the
// worker's, not the interval's: it ends when the worker answered the sample request.
class WorkerLoads {
 public:
  explicit WorkerLoads(const LoadRun& run) : run_(run), last_(run.worker_sched()) {}

  void Fill(v1::Interval* out) {
    const std::vector<LoadRun::WorkerSched> now = run_.worker_sched();
    for (size_t w = 0; w < now.size() && w < last_.size(); ++w) {
      LoadRun::WorkerSched reading = now[w];
      if (!reading.ok || !last_[w].ok) continue;
      if (!reading.fresh) {
        // Late to the sample request: read it from here. A wait still going on is not in it yet,
        // so the share is a lower bound; the worker's next own reading stays the next span's
        // start.
        const absl::StatusOr<process::SchedStat> s = process::ReadThreadSchedStat(reading.tid);
        if (!s.ok()) continue;
        reading.sched = *s;
        reading.at_ns = metrics::MonoNanos();
      }
      if (reading.at_ns <= last_[w].at_ns) continue;
      const double span_ns = static_cast<double>(reading.at_ns - last_[w].at_ns);
      v1::WorkerLoad* load = out->add_workers();
      load->set_worker(static_cast<uint32_t>(w));
      // Spinning before a timer is on a CPU by choice: not what makes a worker the bottleneck.
      // It is wall time of empty polls, so a spin the worker was preempted in could exceed the
      // CPU it used: never below 0.
      const uint64_t cpu_ns = reading.sched.cpu_ns - last_[w].sched.cpu_ns;
      const uint64_t spun_ns = reading.spun_ns - last_[w].spun_ns;
      load->set_cpu_share(static_cast<double>(cpu_ns > spun_ns ? cpu_ns - spun_ns : 0) / span_ns);
      load->set_runqueue_share(
          static_cast<double>(reading.sched.runqueue_ns - last_[w].sched.runqueue_ns) / span_ns);
      if (reading.fresh) last_[w] = reading;
    }
  }

 private:
  const LoadRun& run_;
  std::vector<LoadRun::WorkerSched> last_;
};

// Per connection, across intervals: its current and longest runs of intervals without a
// delivered byte, for the whole-run starvation figures and the worst connections.
class StallTracker {
 public:
  void Add(uint32_t interval, const StatsSnapshot& delta) {
    if (state_.size() < delta.connections.size()) state_.resize(delta.connections.size());
    for (size_t c = 0; c < delta.connections.size(); ++c) {
      // Not sampled in this interval: nothing is known of it, so its runs neither grow nor end.
      if (delta.Unsampled(c)) continue;
      State& s = state_[c];
      // An idle connection (open loop, nothing to deliver) is not starved: its runs end.
      const bool served = delta.connections[c].delivered > 0 || delta.connections[c].idle;
      s.delivered_last = served;
      if (served) {
        s.run = 0;
        s.ever_delivered = true;
        continue;
      }
      if (s.run++ == 0) s.run_from = interval;
      if (s.run > s.longest) {
        s.longest = s.run;
        s.longest_from = s.run_from;
      }
    }
    ++intervals_;
  }

  // `rank`: each connection's place in the agent's connect order (LoadRun::connect_rank).
  void Fill(const StatsSnapshot& total, double interval_s, const std::vector<uint32_t>& rank,
            v1::AgentResult* out) const {
    uint32_t whole = 0, three = 0;
    for (const State& s : state_) {
      whole += intervals_ > 0 && !s.ever_delivered;
      three += s.longest >= 3;
    }
    out->set_starved_whole_run(whole);
    out->set_starved_three_intervals(three);
    // Were the connections served at the end exactly the first ones connected?
    std::vector<size_t> by_rank(state_.size());
    for (size_t i = 0; i < by_rank.size(); ++i) by_rank[i] = i;
    const auto rank_of = [&rank](size_t c) {
      return c < rank.size() ? rank[c] : workload::kNoConnectRank;
    };
    std::stable_sort(by_rank.begin(), by_rank.end(),
                     [&](size_t a, size_t b) { return rank_of(a) < rank_of(b); });
    size_t served = 0;
    while (served < by_rank.size() && state_[by_rank[served]].delivered_last) ++served;
    bool prefix = served > 0 && served < by_rank.size();
    for (size_t k = served; prefix && k < by_rank.size(); ++k) {
      prefix = !state_[by_rank[k]].delivered_last;
    }
    if (prefix) out->set_served_first_connected(static_cast<uint32_t>(served));
    std::vector<size_t> order(total.connections.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    const size_t n = std::min<size_t>(20, order.size());
    std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](size_t a, size_t b) {
      return total.connections[a].delivered < total.connections[b].delivered;
    });
    for (size_t k = 0; k < n; ++k) {
      const size_t c = order[k];
      const metrics::ConnectionSample& sample = total.connections[c];
      v1::ConnectionRecord* r = out->add_worst_connections();
      r->set_index(rank_of(c) == workload::kNoConnectRank ? static_cast<uint32_t>(c) : rank_of(c));
      r->set_local_port(sample.local_port);
      r->set_bytes_delivered(sample.delivered);
      if (c < state_.size() && state_[c].longest > 0) {
        r->set_longest_stall_intervals(state_[c].longest);
        r->set_longest_stall_from_s(state_[c].longest_from * interval_s);
      }
      r->set_since_last_ack_s(sample.last_ack_ms / 1000.0);
      r->set_zero_window(sample.zero_window);
    }
  }

 private:
  struct State {
    uint32_t run = 0, run_from = 0, longest = 0, longest_from = 0;
    bool ever_delivered = false;
    bool delivered_last = false;  // in the last interval added
  };
  std::vector<State> state_;
  uint32_t intervals_ = 0;
};

// Waits until `deadline` or a stop; returns true if stopped.
bool WaitUntil(RunSignals& signals, absl::Time deadline) {
  return signals.stop.WaitForNotificationWithDeadline(deadline);
}

}  // namespace

absl::Status CheckTargetAllowed(const net::SocketAddress& target,
                                const std::vector<net::Cidr>& allowed) {
  if (std::any_of(allowed.begin(), allowed.end(),
                  [&](const net::Cidr& c) { return c.Contains(target); })) {
    return absl::OkStatus();
  }
  std::vector<std::string> ranges;
  for (const net::Cidr& c : allowed) ranges.push_back(c.text());
  return absl::PermissionDeniedError(absl::StrCat("target ", target.ToString(),
                                                  " is outside this agent's --allow-target (",
                                                  absl::StrJoin(ranges, ", "), ")"));
}

void RunSignals::StopByAgent(const std::string& why) {
  {
    absl::MutexLock lock(&mu_);
    if (agent_stop_reason_.empty()) agent_stop_reason_ = why;
  }
  NotifyStop(/*abort_now=*/false);
}

std::string RunSignals::agent_stop_reason() const {
  absl::MutexLock lock(&mu_);
  return agent_stop_reason_;
}

void RunSignals::NotifyStop(bool abort_now) {
  if (abort_now) abort.store(true);
  if (!stop_sent_.exchange(true)) stop.Notify();
}

absl::StatusOr<LoadPlan> PrepareRun(const v1::RunSpec& spec, const std::vector<net::Cidr>& allowed,
                                    net::HostLookup lookup) {
  SALVO_ASSIGN_OR_RETURN(LoadPlan plan, PlanFromSpec(spec, lookup));
  SALVO_RETURN_IF_ERROR(CheckTargetAllowed(plan.target, allowed));
  if (plan.workload.kind == workload::Kind::kStreamOut) {
    // Delivered bytes are what the peer's TCP acknowledged; without TCP_INFO there is no such
    // count, and a stream-out run would report its connections as stalled.
    if (absl::Status s = net::TcpInfoAvailable(); !s.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "stream-out counts the bytes the peer acknowledged from TCP_INFO, which is not "
          "available here: ",
          s.message()));
    }
  }
  SALVO_RETURN_IF_ERROR(net::CheckFdBudget(plan.connections));
  // Before anything is allocated: the one message buffer every worker sends from, and each
  // worker's engine sized for its share of the connections.
  SALVO_RETURN_IF_ERROR(net::CheckWorkerMemory(plan.engine.kind, plan.threads,
                                               (plan.connections + plan.threads - 1) / plan.threads,
                                               plan.workload.SendSpan()));
  return plan;
}

absl::Status CarryOutRun(const v1::RunSpec& spec, const LoadPlan& plan,
                         const AgentIdentity& identity, RunSignals& signals, const Emit& emit) {
  LoadRun run(plan);
  v1::RunResponse response;
  absl::StatusOr<v1::Ready> ready = run.Connect(&signals.stop);
  if (!ready.ok()) {
    run.Finish(/*drain=*/false);
    return ready.status();
  }
  *response.mutable_ready() = *std::move(ready);
  if (signals.stop.HasBeenNotified()) {
    run.Finish(/*drain=*/false);
    return absl::CancelledError("the run was stopped while connecting");
  }
  if (!emit(response)) return absl::CancelledError("the controller went away");

  while (!signals.start.WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
    if (signals.stop.HasBeenNotified()) {
      run.Finish(/*drain=*/false);
      return absl::CancelledError("the run was stopped before it started");
    }
  }

  // The common start: every agent begins at the same instant, given in its own clock. The
  // workers wait for it themselves, so no thread hop lies between the instant and their first
  // send. A start more than a minute away is a controller's mistake; start then rather than hang.
  absl::Time start_at = absl::Now();
  if (const int64_t at = signals.start_at_unix_ns.load(); at > 0) {
    start_at = std::clamp(absl::FromUnixNanos(at), absl::Now(), absl::Now() + absl::Minutes(1));
  }
  const absl::Duration interval =
      absl::Milliseconds(spec.load().interval_ms() > 0 ? spec.load().interval_ms() : 1000);
  StatsSnapshot baseline = run.Snapshot();  // exact: the workers have not moved yet
  // The connections set up before the start (connect-rr opens its own during the run).
  metrics::CounterValues set_up;
  for (Counter c : {Counter::kConnectionsEstablished, Counter::kConnectErrors}) {
    set_up[c] = baseline.Get(c);
  }
  run.Start(start_at);
  const absl::Time measure_from = start_at + absl::Milliseconds(spec.load().warmup_ms());
  // A duration of 0 means: until the controller says stop.
  const absl::Time measure_until =
      spec.load().duration_ms() == 0 ? absl::InfiniteFuture()
                                     : measure_from + absl::Milliseconds(spec.load().duration_ms());
  bool stopped = false;
  if (spec.load().warmup_ms() > 0) {
    stopped = WaitUntil(signals, measure_from);
    run.SampleConnections(kSampleTimeout, /*window_start=*/true);
    baseline = run.Snapshot();
    if (plan.workload.rate != nullptr) {
      // The open loop counts a message by its intended send time, and only one meant for the
      // window (workload::Options::window_start_ns): none was counted before the window began,
      // so whatever the baseline holds of these was the window's already (a worker running late
      // sent them before it sealed). Zero is the exact baseline.
      for (Counter c : {Counter::kMessagesDue, Counter::kPipelineFull, Counter::kMessages}) {
        baseline.counters[c] = 0;
      }
      for (metrics::Timing t : {metrics::Timing::kScheduleLag, metrics::Timing::kGeneratorLag,
                                metrics::Timing::kRoundTrip, metrics::Timing::kServiceTime}) {
        baseline.timings[metrics::Index(t)] = metrics::Histogram();
      }
    }
  } else {
    stopped = WaitUntil(signals, start_at);
  }
  const double cpu_at_start = process::ProcessCpuSeconds();

  v1::AgentResult result;
  StatsSnapshot previous = baseline;
  absl::Time boundary = measure_from;
  WorkerLoads loads(run);
  StallTracker stalls;
  uint32_t intervals_sent = 0;
  // A sample taken this much after its boundary means the process did not run meanwhile.
  const absl::Duration late_after = std::max(interval / 2, absl::Milliseconds(50));
  int64_t pressure_ms = host::TcpMemoryPressureMs();
  while (!stopped && boundary < measure_until) {
    const absl::Time next = std::min(boundary + interval, measure_until);
    stopped = WaitUntil(signals, next);
    const absl::Duration late = absl::Now() - next;
    const absl::Time end = stopped ? std::min(absl::Now(), next) : next;
    // A stop between boundaries still yields the partial interval: nothing measured is lost.
    if (end > boundary) {
      run.SampleConnections();
      StatsSnapshot delta = run.Snapshot();
      delta.StepFrom(&previous);
      // Streamed and forgotten: the controller keeps the series, so an agent's memory does not
      // grow with the run's length (7 days at 10 ms intervals are allowed).
      const uint32_t index = intervals_sent++;
      response.Clear();
      v1::Interval* interval_out = response.mutable_interval()->mutable_interval();
      FillInterval(index, absl::ToDoubleSeconds(end - measure_from),
                   absl::ToDoubleSeconds(end - boundary), delta, interval_out);
      loads.Fill(interval_out);
      if (const int64_t now_ms = host::TcpMemoryPressureMs(); now_ms >= 0 && pressure_ms >= 0) {
        interval_out->set_tcp_memory_pressure_ms(static_cast<double>(now_ms - pressure_ms));
        pressure_ms = now_ms;
      }
      if (!stopped && late > late_after) {
        interval_out->set_late_ms(absl::ToDoubleMilliseconds(late));
      }
      // A short final interval says nothing about stalls, nor does a late one (or the ones
      // catching up after it, sampled moments apart).
      if (end - boundary >= interval / 2 && interval_out->late_ms() == 0) {
        stalls.Add(index, delta);
      }
      if (!emit(response)) {
        signals.NotifyStop(/*abort_now=*/true);
        stopped = true;
      }
    }
    boundary = next;
  }
  const absl::Time measure_end = std::max(measure_from, std::min(absl::Now(), measure_until));
  const double cpu_s = process::ProcessCpuSeconds() - cpu_at_start;
  run.Finish(/*drain=*/!signals.abort.load());
  const StatsSnapshot final_snapshot = run.Snapshot();
  StatsSnapshot total = final_snapshot.Since(baseline);
  // The connections set up before the start count with the window's own (connect-rr's churn);
  // those opened during the warm-up do not (issue 21: connect-rr with a warm-up reported twice
  // its connects per second). Holding data is a state at the end, not a count.
  for (Counter c : {Counter::kConnectionsEstablished, Counter::kConnectErrors}) {
    total.counters[c] += set_up[c];
  }
  total.counters[Counter::kConnectionsHoldingData] =
      final_snapshot.Get(Counter::kConnectionsHoldingData);
  // What the peer had by the span's end is what the intervals said: a worker that answered the
  // last sample request late (after its interval was reported, before the drain) must not add
  // to the span afterwards.
  total.counters[Counter::kBytesDeliveredInSpan] =
      previous.counters.Since(baseline.counters)[Counter::kBytesDeliveredInSpan];
  if (plan.workload.kind == workload::Kind::kStreamOut ||
      plan.workload.kind == workload::Kind::kEcho) {
    // Taken by the kernel in the window but never acknowledged (stream-out) or echoed back.
    const uint64_t sent = total.counters[Counter::kBytesSent];
    const uint64_t delivered = total.counters[Counter::kBytesDelivered];
    total.counters[Counter::kBytesUndelivered] = sent > delivered ? sent - delivered : 0;
  }

  const double measured_s = absl::ToDoubleSeconds(measure_end - measure_from);
  result.set_agent(spec.agent_name());
  result.set_hostname(identity.hostname);
  result.set_connections(plan.connections);
  result.set_threads(plan.threads);
  result.set_measured_s(measured_s);
  wire::CountersToProto(total.counters, result.mutable_counters());
  wire::RatesToProto(metrics::ComputeRates(total.counters, measured_s), result.mutable_rates());
  wire::TimingsToProto(total.timings, /*with_histograms=*/true, result.mutable_timings());
  wire::FairnessToProto(total.DeliveredFairness(), /*with_parts=*/true, result.mutable_fairness());
  stalls.Fill(total, absl::ToDoubleSeconds(interval), run.connect_rank(), &result);
  result.set_engine(wire::ToProto(plan.engine.kind));
  result.set_send_mode(wire::ToProto(plan.send_mode));
  result.set_cpu_s(cpu_s);
  result.set_first_send_unix_ns(run.first_send_unix_ns());
  result.set_connect_s(run.connect_seconds());
  *result.mutable_environment() = host::ReadEnvironment();
  result.set_weight(spec.weight());
  const net::AppliedBuffers applied = net::ProbeBufferSizes({plan.sndbuf, plan.rcvbuf, false});
  result.set_sndbuf_applied(static_cast<uint32_t>(applied.sndbuf));
  result.set_rcvbuf_applied(static_cast<uint32_t>(applied.rcvbuf));
  if (signals.abort.load()) {
    result.set_error("the controller went away; load stopped");
  } else if (const std::string why = signals.agent_stop_reason(); !why.empty()) {
    result.set_error(why);
    result.set_stopped_by_agent(true);
  } else if (absl::Status failed = run.worker_error(); !failed.ok()) {
    result.set_error(std::string(failed.message()));
  }
  response.Clear();
  *response.mutable_result() = std::move(result);
  emit(response);
  return absl::OkStatus();
}

}  // namespace salvo::worker
