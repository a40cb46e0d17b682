// One run on an agent, from spec to final report, without the transport: the gRPC service feeds
// it the controller's signals and forwards what it emits.
//
//   RunSignals signals;                       // notified by whoever reads the controller
//   absl::Status s = CarryOutRun(spec, plan, identity, signals, [&](const v1::RunResponse& r) {
//     return stream->Write(r);                // false once the controller is gone
//   });
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "net/cidr.h"
#include "salvo/v1/agent.pb.h"
#include "worker/load_run.h"

namespace salvo::worker {

// What the controller has said so far. Each notification fires at most once.
struct RunSignals {
  absl::Notification start;
  // Stop: a Stop message, the controller's stream ending, or the agent shutting down.
  absl::Notification stop;
  // Set before `stop` when the controller vanished: no drain, sockets close at once.
  std::atomic<bool> abort{false};
  // From the Start message: when to begin in this agent's clock (Unix ns), 0 for at once. Set
  // before `start` is notified.
  std::atomic<int64_t> start_at_unix_ns{0};

  void NotifyStart() {
    if (!start.HasBeenNotified()) start.Notify();
  }
  void NotifyStop(bool abort_now);
  // The agent itself ends the run early (it is shutting down): the load drains and the result
  // is sent, carrying `why` as its error.
  void StopByAgent(const std::string& why);
  std::string agent_stop_reason() const;

 private:
  std::atomic<bool> stop_sent_{false};
  mutable absl::Mutex mu_;
  std::string agent_stop_reason_ ABSL_GUARDED_BY(mu_);
};

struct AgentIdentity {
  std::string hostname;
};

// Returns false when the message could not be delivered (the controller is gone).
using Emit = std::function<bool(const v1::RunResponse&)>;

// Validates the spec and checks the fd budget, before any socket is opened. The message of an
// error is meant for the controller's user.
// `allowed` are the address ranges the target must be in.
absl::StatusOr<LoadPlan> PrepareRun(const v1::RunSpec& spec, const std::vector<net::Cidr>& allowed,
                                    net::HostLookup lookup = net::HostLookup::kSystem);

// PERMISSION_DENIED, naming the ranges, when `target` is outside them.
absl::Status CheckTargetAllowed(const net::SocketAddress& target,
                                const std::vector<net::Cidr>& allowed);

// Connects, emits Ready, waits for start, runs warm-up and intervals, emits one IntervalReport
// per interval and the final AgentResult. An error status means the run could not be carried
// out (a worker could not start, or it was stopped before it started).
absl::Status CarryOutRun(const v1::RunSpec& spec, const LoadPlan& plan,
                         const AgentIdentity& identity, RunSignals& signals, const Emit& emit);

}  // namespace salvo::worker
