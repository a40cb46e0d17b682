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
                            const v1::RunSpec& spec, const LoadPlan& plan,
                            const AgentIdentity& identity, RunSignals& signals,
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

  // Liveness both ways, on its own cadence: a heartbeat to the controller after a second with
  // nothing else sent (whatever the report interval), and a controller that is silent past the
  // lease (host gone, network cut, no FIN or RST) treated like a broken stream: the load stops.
  absl::Notification run_done;
  std::thread watchdog([&] {
    v1::RunResponse heartbeat;
    heartbeat.mutable_heartbeat();
    bool lease_live = lease > absl::ZeroDuration();
    while (!run_done.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      const absl::Time now = absl::Now();
      if (now - absl::FromUnixNanos(last_sent_ns.load()) >= kHeartbeatEvery) write(heartbeat);
      if (lease_live && now - absl::FromUnixNanos(last_heard_ns.load()) > lease &&
          !result_sent.load()) {
        log(absl::StrCat("run from ", context->peer(), ": no word from the controller for ",
                         absl::FormatDuration(lease), "; stopping the load"));
        signals.NotifyStop(/*abort_now=*/true);
        lease_live = false;
      }
    }
  });

  const absl::Status status = CarryOutRun(spec, plan, identity, signals, write);
  run_done.Notify();
  watchdog.join();
  // Give the controller a moment to close its side; a silent one is cancelled so the reader
  // thread cannot hold this handler.
  if (!reader_done.WaitForNotificationWithTimeout(absl::Seconds(2))) context->TryCancel();
  reader.join();
  log(absl::StrCat("run from ", context->peer(), " ended: ",
                   status.ok() ? (signals.abort.load() ? "controller went away" : "ok")
                               : std::string(status.message())));
  return status;
}

}  // namespace salvo::agent
