#include "metrics/thread_stats.h"

#include <algorithm>

namespace salvo::metrics {
namespace {

std::atomic<uint64_t> next_registry_id{1};

// The per-thread slot: which registry this thread last registered with and its block there.
// Registry ids are never reused, so a stale slot from a finished run never matches.
struct LocalSlot {
  uint64_t registry_id = 0;
  ThreadStats* stats = nullptr;
};
thread_local LocalSlot local_slot;

}  // namespace

ThreadStats::ThreadStats(size_t connection_slots)
    : connection_slots_(connection_slots),
      samples_(new AtomicConnectionSample[std::max<size_t>(connection_slots, 1)]) {}

StatsSnapshot StatsSnapshot::Since(const StatsSnapshot& before) const {
  StatsSnapshot d;
  d.counters = counters.Since(before.counters);
  for (int t = 0; t < kNumTimings; ++t) {
    d.timings[t] = Histogram::Delta(timings[t], before.timings[t]);
  }
  d.connections = connections;
  for (size_t i = 0; i < d.connections.size() && i < before.connections.size(); ++i) {
    d.connections[i] = connections[i].Since(before.connections[i]);
  }
  return d;
}

void StatsSnapshot::StepFrom(StatsSnapshot* previous) {
  StatsSnapshot& p = *previous;
  const CounterValues now = counters;
  counters = now.Since(p.counters);
  p.counters = now;
  for (int t = 0; t < kNumTimings; ++t) {
    Histogram d = Histogram::Delta(timings[t], p.timings[t]);
    std::swap(p.timings[t], timings[t]);
    timings[t] = std::move(d);
  }
  if (p.connections.size() < connections.size()) p.connections.resize(connections.size());
  for (size_t i = 0; i < connections.size(); ++i) {
    const ConnectionSample now_i = connections[i];
    connections[i] = now_i.Since(p.connections[i]);
    p.connections[i] = now_i;
  }
}

FairnessStats StatsSnapshot::DeliveredFairness() const {
  FairnessStats f;
  for (const ConnectionSample& c : connections) f.Add(c.delivered);
  return f;
}

TcpHealthStats StatsSnapshot::TcpHealth() const {
  TcpHealthStats h;
  for (const ConnectionSample& c : connections) h.Add(c);
  return h;
}

StatsRegistry::StatsRegistry() : id_(next_registry_id.fetch_add(1)) {}

ThreadStats& StatsRegistry::Local(size_t connection_slots) {
  if (local_slot.registry_id == id_) return *local_slot.stats;
  auto block = std::make_unique<ThreadStats>(connection_slots);
  ThreadStats* raw = block.get();
  {
    absl::MutexLock lock(&mu_);
    blocks_.push_back(std::move(block));
  }
  local_slot = {id_, raw};
  return *raw;
}

ThreadStats& StatsRegistry::Add(size_t connection_slots) {
  auto block = std::make_unique<ThreadStats>(connection_slots);
  ThreadStats* raw = block.get();
  absl::MutexLock lock(&mu_);
  blocks_.push_back(std::move(block));
  return *raw;
}

StatsSnapshot StatsRegistry::Snapshot(Read read) const {
  StatsSnapshot s;
  absl::MutexLock lock(&mu_);
  // Exactly sized: at 10,000 connections a snapshot's samples are half a megabyte, and several
  // snapshots live at once.
  size_t slots = 0;
  for (const auto& block : blocks_) slots += block->connection_slots_;
  s.connections.reserve(slots);
  for (const auto& block : blocks_) {
    for (int i = 0; i < kNumCounters; ++i) {
      s.counters.at(i) += read == Read::kSealed ? block->sealed_[i].load(std::memory_order_relaxed)
                                                : block->Live(i);
    }
    (read == Read::kSealed ? block->sealed_timings_ : block->timings_).MergeInto(&s.timings);
    for (size_t c = 0; c < block->connection_slots_; ++c) {
      s.connections.push_back(block->samples_[c].Load());
    }
  }
  return s;
}

size_t StatsRegistry::threads() const {
  absl::MutexLock lock(&mu_);
  return blocks_.size();
}

}  // namespace salvo::metrics
