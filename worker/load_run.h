// The load of one run on one agent: worker threads, each with its own engine and its share of
// the connections, a start barrier, and the stats registry they count into.
//
//   LoadRun run(plan);
//   v1::Ready ready = run.Connect(&cancel);   // every connection up, failed or timed out
//   StatsSnapshot before = run.Snapshot();    // exact: nothing moves before Start
//   run.Start();                              // all workers begin together
//   ...
//   run.Finish(/*drain=*/true);               // in-flight messages complete, sockets close
//   StatsSnapshot after = run.Snapshot();
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "metrics/thread_stats.h"
#include "net/address.h"
#include "net/engine_factory.h"
#include "process/schedstat.h"
#include "salvo/v1/agent.pb.h"
#include "workload/pattern.h"
#include "workload/session.h"

namespace salvo::worker {

// A run spec checked and turned into what the workers need.
struct LoadPlan {
  // This agent's name in the run (seeds its connections' arrival schedules).
  std::string agent_name;
  std::string target_text;
  net::SocketAddress target;
  // Where connects come from: connection k (over all workers) uses sources[k % size]; empty: the
  // kernel's choice.
  std::vector<net::SocketAddress> sources;
  workload::Options workload;
  net::EngineChoice engine;
  net::SendMode send_mode = net::SendMode::kCopy;
  int sndbuf = 0;
  int rcvbuf = 0;
  uint32_t connections = 1;
  uint32_t threads = 1;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Connects per second this agent opens its connections at (0: all at once).
  double connect_rate = 0;
  // Open loop: each worker polls without sleeping this long before a send time (0: sleeps).
  uint64_t timer_spin_ns = 0;
  // How long, at the end of a run, in-flight messages get to complete (stream-out: until the
  // peer has acknowledged every byte). Zero: no wait; connections still holding data are reset.
  absl::Duration drain_timeout = absl::Seconds(2);
  // Open loop: how long after the start instant the schedules run (warm-up plus duration), so
  // that nothing comes due after the measured span ends, however late the drain begins.
  absl::Duration scheduled = absl::InfiniteDuration();
  // Open loop: how long after the start instant the measured window begins (the warm-up).
  absl::Duration warmup = absl::ZeroDuration();
  // TCP_INFO is read for every `tcp_info_stride`-th connection at each sample (all of them for
  // stream-out's delivered bytes).
  uint32_t tcp_info_stride = 1;
};

// Rejects specs no run can follow (empty target, zero size, absurd pipeline...).
absl::StatusOr<LoadPlan> PlanFromSpec(const v1::RunSpec& spec,
                                      net::HostLookup lookup = net::HostLookup::kSystem);

// How long an interval boundary waits for the workers' samples.
inline constexpr absl::Duration kSampleTimeout = absl::Milliseconds(200);

class LoadRun {
 public:
  explicit LoadRun(LoadPlan plan);
  ~LoadRun();
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  // Starts the workers, which open their connections (connect first, receives armed after), and
  // waits until every connection is established, failed or timed out, or `cancel` fires. An
  // error means a worker could not start at all (no engine, no event loop): the run cannot
  // start either.
  absl::StatusOr<v1::Ready> Connect(const absl::Notification* cancel);

  // Releases the start barrier: every worker begins its load at `at` (this machine's clock).
  void Start(absl::Time at = absl::InfinitePast());

  // Sums the workers' stats as each last sampled them: the counters, timings and connection
  // samples of one worker describe one instant. Any thread, any time.
  metrics::StatsSnapshot Snapshot() const {
    return registry_.Snapshot(metrics::StatsRegistry::Read::kSealed);
  }

  // Asks every worker to sample its connections (delivered bytes, TCP_INFO) and seal its
  // counters and timings now, and waits until each has, or `timeout` passed (a worker busy for
  // longer samples at its next turn; its part of the next snapshot is its previous sample, and a
  // delta marks its connections unsampled: metrics::StatsSnapshot::unsampled). With
  // `window_start`, each worker first marks where the measured window begins on every connection
  // (see workload::Session::MarkWindowStart). Call before Snapshot() at an interval boundary.
  void SampleConnections(absl::Duration timeout = kSampleTimeout, bool window_start = false);

  // A worker's scheduler figures as it read them itself at its last sample. It was running then,
  // so every run-queue wait it had since its previous reading is in them (Linux adds a wait to
  // schedstat only when the wait ends): the CPU and the wait shares of the span between two
  // readings are of the same span and at most 100% together.
  struct WorkerSched {
    int tid = 0;
    bool ok = false;     // the worker could read its schedstat (not on Windows)
    bool fresh = false;  // taken at the latest sample request
    process::SchedStat sched;
    uint64_t at_ns = 0;  // metrics::MonoNanos() at the reading
    // Of the CPU time, how much the worker spent spinning before its timers (--timer-spin):
    // on a CPU by choice, not busy.
    uint64_t spun_ns = 0;
  };
  // In worker order. Call after SampleConnections: a fresh reading is not written meanwhile.
  std::vector<WorkerSched> worker_sched() const;

  // Ends the load and joins the workers. With `drain`, sessions finish what is in flight (bounded
  // by the plan's drain timeout) before the sockets close; without, they close at once.
  void Finish(bool drain);

  const LoadPlan& plan() const { return plan_; }

  // Each connection's place in this agent's connect order (workload::kNoConnectRank if it never
  // connected), by its index in snapshots. Complete once Connect has returned.
  const std::vector<uint32_t>& connect_rank() const { return connect_rank_; }

  // How long the connect phase took: the slowest worker's first connect to its last outcome.
  double connect_seconds() const { return connect_ns_.load() / 1e9; }

  // When the first worker began its load (Unix ns, this machine's clock); 0 before Start.
  int64_t first_send_unix_ns() const { return first_send_unix_ns_.load(); }

  // OK while every worker's event loop runs; otherwise why the first one failed. A failed
  // worker has stopped and closed its connections.
  absl::Status worker_error() const;

 private:
  enum Stop : int { kRunning = 0, kDrain = 1, kAbort = 2 };
  // Worker `index` owns connections [first, first + connections) of the agent's.
  void WorkerMain(uint32_t index, uint32_t first, uint32_t connections,
                  metrics::ThreadStats* stats);
  // Samples every session into `stats` and sets the delivered counters.
  void SampleSessions(const std::vector<std::unique_ptr<workload::Session>>& sessions,
                      metrics::ThreadStats& stats, bool final);
  void WorkerFailed(uint32_t index, const absl::Status& why);
  // Waits for the start instant given to Start(); false if the run was stopped meanwhile.
  bool WaitForStartInstant();
  // Ends every worker's Poll now, so a stop or a sample request is seen at once rather than
  // after the poll timeout (which would put an interval's boundary off by that much).
  void WakeWorkers();

  const LoadPlan plan_;
  metrics::StatsRegistry registry_;
  // The sample request (epoch) at which the measured window begins; 0: none asked yet.
  std::atomic<uint64_t> window_epoch_{0};
  std::atomic<uint32_t> connects_{0};
  std::vector<uint32_t> connect_rank_;
  // Without a connect rate, worker w issues its connects once worker w - 1 has issued all of
  // its own (issued_[w - 1]): the agent's SYNs then leave in index order, so connection i is the
  // i-th a server accepts and "the first N connected" means the same on both sides.
  std::unique_ptr<absl::Notification[]> issued_;
  std::vector<std::thread> workers_;
  absl::Notification start_;
  std::atomic<int> stop_{kRunning};
  std::atomic<int64_t> first_send_unix_ns_{0};
  std::atomic<int64_t> start_at_unix_ns_{0};
  std::atomic<int64_t> connect_ns_{0};
  std::atomic<uint64_t> sample_requested_{0};
  // Per worker: the last sample request it served (UINT64_MAX once it has stopped), its tid.
  std::unique_ptr<std::atomic<uint64_t>[]> sample_done_;
  std::unique_ptr<std::atomic<int>[]> tids_;
  // Each worker's own schedstat reading, written by it just before it seals.
  struct SchedSlot {
    std::atomic<bool> ok{false};
    std::atomic<uint64_t> cpu_ns{0}, runqueue_ns{0}, at_ns{0}, spun_ns{0};
  };
  std::unique_ptr<SchedSlot[]> sched_;
  // `spun_ns`: the worker's engine's net::Engine::spun_ns() now.
  void ReadOwnSched(uint32_t index, uint64_t spun_ns);
  // Each worker's engine while it runs (null before and after), for WakeWorkers.
  absl::Mutex engines_mu_;
  std::vector<net::Engine*> engines_ ABSL_GUARDED_BY(engines_mu_);
  // The bytes every worker sends from: immutable, so one serves all (a 1 GiB message costs
  // 1 GiB per agent, not per worker).
  const workload::Pattern pattern_;
  // rr: the request repeated messages_per_send times (empty otherwise).
  const std::string requests_;

  mutable absl::Mutex mu_;
  uint32_t workers_ready_ ABSL_GUARDED_BY(mu_) = 0;
  v1::Ready ready_ ABSL_GUARDED_BY(mu_);
  absl::Status start_error_ ABSL_GUARDED_BY(mu_);
  absl::Status worker_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salvo::worker
