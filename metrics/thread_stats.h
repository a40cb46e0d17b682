// Per-thread statistics with no shared writes on the hot path (the origin notes' ProfileTLS).
//
// Each worker thread asks its run's registry for its own block; the first call on a thread
// creates and registers the block, later calls return it. The owning thread is the only writer:
// every update is a relaxed load and store of a field no other thread writes, so there is no
// lock, no contended cache line and no allocation per message. Readers (the reporting thread)
// sum the blocks whenever a report is taken.
//
//   StatsRegistry registry;                       // one per run
//   // on a worker thread:
//   ThreadStats& stats = registry.Local(/*connection_slots=*/n);
//   stats.Add(Stat::kBytesSent, len);
//   // on the reporting thread:
//   StatsSnapshot now = registry.Snapshot();
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "metrics/histogram.h"
#include "salvo/v1/report.pb.h"

namespace salvo::metrics {

// One per field of salvo.v1.Counters, same names (checked by a test).
enum class Stat : int {
  kConnectionsEstablished,
  kConnectErrors,
  kClosedByPeer,
  kSendCalls,
  kRecvCalls,
  kBytesSent,
  kBytesReceived,
  kMessages,
  kVerifyErrors,
  kSendErrors,
  kRecvErrors,
  kSendWouldBlock,
  kRecvWouldBlock,
  kZcSends,
  kZcCopied,
  kSendNoBufs,
  kNumStats,
};
inline constexpr int kNumStats = static_cast<int>(Stat::kNumStats);
// The proto field name of each stat.
extern const std::array<const char*, kNumStats> kStatNames;

using CounterValues = std::array<uint64_t, kNumStats>;

// The timings each thread keeps as histograms.
enum class Timing : int {
  kRoundTrip,     // echo: send of a message to the last byte of its echo
  kSendCall,      // one send call, or submission to completion on io_uring
  kZcCompletion,  // zero-copy send to its buffer-free notification
  kNumTimings,
};
inline constexpr int kNumTimings = static_cast<int>(Timing::kNumTimings);

void CountersToProto(const CounterValues& values, v1::Counters* out);
CounterValues CountersFromProto(const v1::Counters& in);

class ThreadStats {
 public:
  explicit ThreadStats(size_t connection_slots);

  void Add(Stat stat, uint64_t n = 1) { Bump(counters_[static_cast<int>(stat)], n); }
  void RecordLatency(uint64_t ns) { Record(Timing::kRoundTrip, ns); }
  void Record(Timing timing, uint64_t ns) { timings_[static_cast<int>(timing)].Record(ns); }
  // Bytes received on one of this thread's connections, for the fairness report.
  void AddConnectionBytes(size_t slot, uint64_t n) { Bump(connection_bytes_[slot], n); }

  size_t connection_slots() const { return connection_slots_; }
  uint64_t Get(Stat stat) const {
    return counters_[static_cast<int>(stat)].load(std::memory_order_relaxed);
  }

 private:
  friend class StatsRegistry;
  static void Bump(std::atomic<uint64_t>& v, uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  // Kept on separate cache lines from other threads' blocks by being separate allocations.
  std::array<std::atomic<uint64_t>, kNumStats> counters_{};
  std::array<AtomicHistogram, kNumTimings> timings_;
  const size_t connection_slots_;
  std::unique_ptr<std::atomic<uint64_t>[]> connection_bytes_;
};

struct StatsSnapshot {
  CounterValues counters{};
  std::array<Histogram, kNumTimings> timings;
  const Histogram& latency() const { return timing(Timing::kRoundTrip); }
  const Histogram& timing(Timing t) const { return timings[static_cast<int>(t)]; }
  // Bytes received per connection, all threads' slots in registration order.
  std::vector<uint64_t> connection_bytes;

  uint64_t Get(Stat stat) const { return counters[static_cast<int>(stat)]; }
  // What happened between `before` and this snapshot.
  StatsSnapshot Since(const StatsSnapshot& before) const;
  // Fairness of the received bytes in this snapshot (usually a delta).
  void FairnessToProto(v1::Fairness* out) const;
};

class StatsRegistry {
 public:
  StatsRegistry();
  StatsRegistry(const StatsRegistry&) = delete;
  StatsRegistry& operator=(const StatsRegistry&) = delete;

  // The calling thread's block in this registry, created on the first call from the thread.
  // `connection_slots` sizes the per-connection counters on that first call.
  ThreadStats& Local(size_t connection_slots = 0);

  // Sums every registered block. Safe from any thread, at any time.
  StatsSnapshot Snapshot() const;
  size_t threads() const;

 private:
  const uint64_t id_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<ThreadStats>> blocks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salvo::metrics
