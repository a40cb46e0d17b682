// Per-thread statistics with no shared writes on the hot path (the origin notes' ProfileTLS).
//
// Each worker thread asks its run's registry for its own block; the first call on a thread
// creates and registers the block, later calls return it. The owning thread is the only writer:
// every update is a relaxed load and store of a field no other thread writes, so there is no
// lock, no contended cache line and no allocation per message. Readers (the reporting thread)
// sum the blocks whenever a report is taken.
//
// A block has two sets of counters: the workload's, bumped one by one (messages, verify errors),
// and the engine's, which the engine keeps as plain numbers (net::Engine::counters()) and the
// worker publishes into the block once per loop turn.
//
//   StatsRegistry registry;                       // one per run
//   // on a worker thread:
//   ThreadStats& stats = registry.Local(/*connection_slots=*/n);
//   stats.Add(Counter::kMessages);
//   stats.PublishEngine(engine->counters());      // after each Poll
//   // on the reporting thread:
//   StatsSnapshot now = registry.Snapshot();
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "metrics/connection_stats.h"
#include "metrics/figures.h"
#include "metrics/histogram.h"

namespace salvo::metrics {

// One histogram per Timing, written by one thread and read by any (the recording side; a plain
// array of them, wire::Timings, is what a snapshot or a report holds).
class TimingRecorders {
 public:
  TimingRecorders() = default;
  // For a copy (CopyFrom): a timing's buckets are allocated only once a non-empty one is copied.
  explicit TimingRecorders(AtomicHistogram::Deferred)
      : h_(DeferredArray(std::make_index_sequence<kNumTimings>())) {}

  void Record(Timing t, uint64_t ns) { h_[Index(t)].Record(ns); }
  void MergeInto(std::array<Histogram, kNumTimings>* out) const {
    for (int t = 0; t < kNumTimings; ++t) h_[t].MergeInto(&(*out)[t]);
  }
  // On the recording thread: this becomes a copy of `from` as it stands.
  void CopyFrom(const TimingRecorders& from) {
    for (int t = 0; t < kNumTimings; ++t) h_[t].CopyFrom(from.h_[t]);
  }

 private:
  template <size_t... I>
  static std::array<AtomicHistogram, kNumTimings> DeferredArray(std::index_sequence<I...>) {
    return {{(static_cast<void>(I), AtomicHistogram(AtomicHistogram::Deferred{}))...}};
  }
  std::array<AtomicHistogram, kNumTimings> h_;
};

class ThreadStats {
 public:
  explicit ThreadStats(size_t connection_slots);

  void Add(Counter c, uint64_t n = 1) { Bump(counters_[Index(c)], n); }
  // For a counter this thread computes whole (bytes delivered, summed at each sample).
  void Set(Counter c, uint64_t value) {
    counters_[Index(c)].store(value, std::memory_order_relaxed);
  }
  void Record(Timing t, uint64_t ns) { timings_.Record(t, ns); }
  // The latest sample of one of this thread's connections.
  void StoreSample(size_t slot, const ConnectionSample& sample) { samples_[slot].Store(sample); }
  // The engine's counters as they stand now (they only grow).
  void PublishEngine(const CounterValues& engine) {
    for (int i = 0; i < kNumCounters; ++i) {
      engine_counters_[i].store(engine.at(i), std::memory_order_relaxed);
    }
  }
  // Opens a seal: the connection samples stored from here on and the counters and timings Seal
  // copies form one reading, which a sealed snapshot takes whole or waits for (a sequence lock;
  // the owning thread is its only writer).
  void BeginSample() {
    const uint64_t seq = seal_seq_.load(std::memory_order_relaxed);
    if (seq % 2 == 1) return;
    seal_seq_.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  // Copies every counter and timing as it stands now into the block's sealed set, which a
  // sealed snapshot reads, and closes the reading BeginSample opened (opening one first if none
  // is). The owning thread seals right after it samples its connections, so that a snapshot's
  // counters, timings and connection samples describe the same instant (bytes sent and bytes
  // delivered then come from one moment, and delivered cannot pass sent by a race; a
  // histogram's count is its counter's).
  void Seal() {
    BeginSample();
    sealed_timings_.CopyFrom(timings_);
    for (int i = 0; i < kNumCounters; ++i) sealed_[i].store(Live(i), std::memory_order_relaxed);
    seal_seq_.store(seal_seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // Where the engine records its timings.
  TimingRecorders* timings() { return &timings_; }

  size_t connection_slots() const { return connection_slots_; }
  uint64_t Get(Counter c) const { return Live(Index(c)); }

 private:
  friend class StatsRegistry;
  static void Bump(std::atomic<uint64_t>& v, uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Counter `i` as it stands: the workload's part and the engine's.
  uint64_t Live(int i) const {
    return counters_[i].load(std::memory_order_relaxed) +
           engine_counters_[i].load(std::memory_order_relaxed);
  }

  // Kept on separate cache lines from other threads' blocks by being separate allocations.
  std::array<std::atomic<uint64_t>, kNumCounters> counters_{};
  std::array<std::atomic<uint64_t>, kNumCounters> engine_counters_{};
  std::array<std::atomic<uint64_t>, kNumCounters> sealed_{};
  // Odd while a seal is being written; twice the number of seals otherwise.
  std::atomic<uint64_t> seal_seq_{0};
  TimingRecorders timings_;
  TimingRecorders sealed_timings_{AtomicHistogram::Deferred{}};
  const size_t connection_slots_;
  std::unique_ptr<AtomicConnectionSample[]> samples_;
};

struct StatsSnapshot {
  CounterValues counters;
  std::array<Histogram, kNumTimings> timings;
  // Every connection's latest sample, all blocks' slots in registration order (a worker's
  // connections follow the earlier workers': see worker::LoadRun).
  std::vector<ConnectionSample> connections;
  // Sealed snapshots: each block's number of connection slots and of seals so far. In a delta,
  // the seals in the span; a block with none did not sample in the span (its worker was busy
  // past the sampling timeout), and its connections are `unsampled`.
  std::vector<size_t> block_slots;
  std::vector<uint64_t> block_seals;
  // A delta's connections whose worker did not sample them in the span: their figures are the
  // previous sample's, so they say nothing about the span (they are not starved). Empty when
  // every connection was sampled.
  std::vector<bool> unsampled;

  uint64_t Get(Counter c) const { return counters[c]; }
  const Histogram& timing(Timing t) const { return timings[Index(t)]; }
  // What happened between `before` and this snapshot.
  StatsSnapshot Since(const StatsSnapshot& before) const;
  // The same step in place: this cumulative snapshot becomes what happened since `*previous`,
  // and `*previous` becomes this cumulative snapshot. Saves a copy of every connection's sample
  // per interval (half a megabyte at 10,000 connections).
  void StepFrom(StatsSnapshot* previous);
  bool Unsampled(size_t connection) const {
    return connection < unsampled.size() && unsampled[connection];
  }
  // Over the connections of this snapshot (usually a delta) that were sampled: how evenly they
  // delivered, and what TCP_INFO said about them.
  FairnessStats DeliveredFairness() const;
  TcpHealthStats TcpHealth() const;
};

class StatsRegistry {
 public:
  StatsRegistry();
  StatsRegistry(const StatsRegistry&) = delete;
  StatsRegistry& operator=(const StatsRegistry&) = delete;

  // The calling thread's block in this registry, created on the first call from the thread.
  // `connection_slots` sizes the per-connection counters on that first call.
  ThreadStats& Local(size_t connection_slots = 0);
  // A new block, registered now, for a thread that is about to start: blocks added in a fixed
  // order keep their connections in that order in every snapshot, whichever thread runs first.
  ThreadStats& Add(size_t connection_slots);

  // Which counters and timings a snapshot reads: as they stand (a server's running totals), or
  // as each block's owner last sealed them, with its connection samples (a load run's intervals).
  enum class Read { kLive, kSealed };
  // Sums every registered block. Safe from any thread, at any time.
  StatsSnapshot Snapshot(Read read = Read::kLive) const;
  size_t threads() const;

 private:
  const uint64_t id_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<ThreadStats>> blocks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salvo::metrics
