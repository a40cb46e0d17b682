#include "agent/run_stream.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"

namespace salvo::agent {
namespace {

constexpr absl::Duration kHeartbeatEvery = absl::Seconds(1);

}  // namespace

absl::Status ServeRunStream(grpc::ServerContext* context, RunStream* stream,
                            const v1::RunSpec& spec, const worker::LoadPlan& plan,
                            const worker::AgentIdentity& identity, worker::RunSignals& signals,
                            const std::function<void(std::string)>& log) {
  std::atomic<bool> result_sent{false};
  absl::Notification reader_done;
  // The lease: any controller message renews it.
  std::atomic<int64_t> last_heard_ns{absl::GetCurrentTimeNanos()};
  const absl::Duration lease = absl::Milliseconds(spec.lease_ms());
  // The controller's messages are read on their own thread so the run never blocks on them; the
  // stream allows one reader and one writer at a time.
  std::thread reader([&] {
    v1::RunRequest request;
    while (stream->Read(&request)) {
      last_heard_ns.store(absl::GetCurrentTimeNanos());
      if (request.has_start()) {
        signals.start_at_unix_ns.store(request.start().start_at_unix_ns());
        signals.NotifyStart();
      }
      if (request.has_stop()) signals.NotifyStop(/*abort_now=*/false);
    }
    // The stream ended: after the result that is the controller closing in order; before it,
    // the controller is gone and the load must stop now.
    signals.NotifyStop(/*abort_now=*/!result_sent.load());
    reader_done.Notify();
  });

  absl::Mutex write_mu;
  std::atomic<int64_t> last_sent_ns{absl::GetCurrentTimeNanos()};
  const auto write = [&](const v1::RunResponse& r) {
    absl::MutexLock lock(&write_mu);
    if (result_sent.load()) return false;  // nothing follows the result
    if (r.has_result()) result_sent.store(true);
    last_sent_ns.store(absl::GetCurrentTimeNanos());
    return stream->Write(r);
  };

  // Liveness both ways, each on its own thread so that a write blocked on a full stream never
  // delays the lease. To the controller: a heartbeat after a second with nothing else sent,
  // whatever the report interval. From it: silence past the lease (host gone, network cut, no
  // FIN or RST) is treated like a broken stream, and the load stops.
  absl::Notification run_done;
  std::thread heartbeats([&] {
    v1::RunResponse heartbeat;
    heartbeat.mutable_heartbeat();
    while (!run_done.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      if (absl::Now() - absl::FromUnixNanos(last_sent_ns.load()) >= kHeartbeatEvery) {
        write(heartbeat);
      }
    }
  });
  std::thread watchdog([&] {
    if (lease <= absl::ZeroDuration()) return;
    while (!run_done.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      if (absl::Now() - absl::FromUnixNanos(last_heard_ns.load()) > lease && !result_sent.load()) {
        log(absl::StrCat("run from ", context->peer(), ": no word from the controller for ",
                         absl::FormatDuration(lease), "; stopping the load"));
        signals.NotifyStop(/*abort_now=*/true);
        return;
      }
    }
  });

  const absl::Status status = worker::CarryOutRun(spec, plan, identity, signals, write);
  run_done.Notify();
  watchdog.join();
  // A heartbeat blocked on a stream the controller no longer reads ends when the call is
  // cancelled below or the transport's keepalive gives up.
  if (!reader_done.WaitForNotificationWithTimeout(absl::Seconds(2))) context->TryCancel();
  heartbeats.join();
  // The controller had a moment to close its side (above); a silent one was cancelled so the
  // reader thread cannot hold this handler.
  reader.join();
  log(absl::StrCat("run from ", context->peer(), " ended: ",
                   status.ok() ? (signals.abort.load() ? "controller went away" : "ok")
                               : std::string(status.message())));
  return status;
}

}  // namespace salvo::agent
