#include "agent/agent_run.h"

#include <algorithm>
#include <vector>

#include <sys/resource.h>
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/load_run.h"
#include "agent/security.h"
#include "metrics/thread_stats.h"
#include "net/socket.h"
#include "status/status_macros.h"
#include "wire/enums.h"
#include "wire/figures.h"

namespace salvo::agent {
namespace {

using metrics::Counter;
using metrics::StatsSnapshot;

void FillInterval(uint32_t index, double elapsed_s, const StatsSnapshot& delta, v1::Interval* out) {
  out->set_index(index);
  out->set_elapsed_s(elapsed_s);
  wire::CountersToProto(delta.counters, out->mutable_counters());
  wire::TimingsToProto(delta.timings, /*with_histograms=*/true, out->mutable_timings());
  wire::FairnessToProto(delta.ConnectionFairness(), out->mutable_fairness());
}

// CPU seconds (user + system) this process has used so far.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Waits until `deadline` or a stop; returns true if stopped.
bool WaitUntil(RunSignals& signals, absl::Time deadline) {
  return signals.stop.WaitForNotificationWithDeadline(deadline);
}

}  // namespace

void RunSignals::NotifyStop(bool abort_now) {
  if (abort_now) abort.store(true);
  if (!stop_sent_.exchange(true)) stop.Notify();
}

absl::StatusOr<LoadPlan> PrepareRun(const v1::RunSpec& spec,
                                    const std::vector<net::Cidr>& allowed) {
  SALVO_ASSIGN_OR_RETURN(LoadPlan plan, PlanFromSpec(spec));
  SALVO_RETURN_IF_ERROR(CheckTargetAllowed(plan.target, allowed));
  SALVO_RETURN_IF_ERROR(net::CheckFdBudget(plan.connections));
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
  run.Start(start_at);
  const absl::Time measure_from = start_at + absl::Milliseconds(spec.load().warmup_ms());
  // A duration of 0 means: until the controller says stop.
  const absl::Time measure_until =
      spec.load().duration_ms() == 0 ? absl::InfiniteFuture()
                                     : measure_from + absl::Milliseconds(spec.load().duration_ms());
  bool stopped = false;
  if (spec.load().warmup_ms() > 0) {
    stopped = WaitUntil(signals, measure_from);
    baseline = run.Snapshot();
  } else {
    stopped = WaitUntil(signals, start_at);
  }
  const double cpu_at_start = ProcessCpuSeconds();

  v1::AgentResult result;
  StatsSnapshot previous = baseline;
  absl::Time boundary = measure_from;
  while (!stopped && boundary < measure_until) {
    const absl::Time next = std::min(boundary + interval, measure_until);
    stopped = WaitUntil(signals, next);
    const absl::Time end = stopped ? std::min(absl::Now(), next) : next;
    // A stop between boundaries still yields the partial interval: nothing measured is lost.
    if (end > boundary) {
      const StatsSnapshot current = run.Snapshot();
      v1::Interval* interval_out = result.add_intervals();
      FillInterval(static_cast<uint32_t>(result.intervals_size() - 1),
                   absl::ToDoubleSeconds(end - measure_from), current.Since(previous),
                   interval_out);
      previous = current;
      response.Clear();
      *response.mutable_interval()->mutable_interval() = *interval_out;
      if (!emit(response)) {
        signals.NotifyStop(/*abort_now=*/true);
        stopped = true;
      }
    }
    boundary = next;
  }
  const absl::Time measure_end = std::max(measure_from, std::min(absl::Now(), measure_until));
  const double cpu_s = ProcessCpuSeconds() - cpu_at_start;
  run.Finish(/*drain=*/!signals.abort.load());
  const StatsSnapshot final_snapshot = run.Snapshot();
  StatsSnapshot total = final_snapshot.Since(baseline);
  // Connections are set up before the baseline; the result states how many there were.
  for (Counter c : {Counter::kConnectionsEstablished, Counter::kConnectErrors}) {
    total.counters[c] = final_snapshot.Get(c);
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
  wire::FairnessToProto(total.ConnectionFairness(), result.mutable_fairness());
  result.set_engine(wire::ToProto(plan.engine.kind));
  result.set_send_mode(wire::ToProto(plan.send_mode));
  result.set_cpu_s(cpu_s);
  result.set_first_send_unix_ns(run.first_send_unix_ns());
  result.set_weight(spec.weight());
  const net::AppliedBuffers applied = net::ProbeBufferSizes({plan.sndbuf, plan.rcvbuf, false});
  result.set_sndbuf_applied(static_cast<uint32_t>(applied.sndbuf));
  result.set_rcvbuf_applied(static_cast<uint32_t>(applied.rcvbuf));
  // The intervals went out live on this stream already; the controller keeps them. Leaving them
  // out keeps the final message small however long the run was.
  result.clear_intervals();
  if (signals.abort.load()) {
    result.set_error("the controller went away; load stopped");
  } else if (absl::Status failed = run.worker_error(); !failed.ok()) {
    result.set_error(std::string(failed.message()));
  }
  response.Clear();
  *response.mutable_result() = std::move(result);
  emit(response);
  return absl::OkStatus();
}

}  // namespace salvo::agent
