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
      connection_bytes_(new std::atomic<uint64_t>[std::max<size_t>(connection_slots, 1)]) {
  for (size_t i = 0; i < connection_slots; ++i) {
    connection_bytes_[i].store(0, std::memory_order_relaxed);
  }
}

StatsSnapshot StatsSnapshot::Since(const StatsSnapshot& before) const {
  StatsSnapshot d;
  d.counters = counters.Since(before.counters);
  for (int t = 0; t < kNumTimings; ++t) {
    d.timings[t] = Histogram::Delta(timings[t], before.timings[t]);
  }
  d.connection_bytes = connection_bytes;
  for (size_t i = 0; i < d.connection_bytes.size() && i < before.connection_bytes.size(); ++i) {
    d.connection_bytes[i] -= std::min(d.connection_bytes[i], before.connection_bytes[i]);
  }
  return d;
}

Fairness StatsSnapshot::ConnectionFairness() const {
  Fairness f;
  f.connections = static_cast<uint32_t>(connection_bytes.size());
  if (connection_bytes.empty()) return f;
  for (uint64_t b : connection_bytes) f.starved += b == 0;
  auto [lo, hi] = std::minmax_element(connection_bytes.begin(), connection_bytes.end());
  f.min_bytes = *lo;
  f.max_bytes = *hi;
  return f;
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

StatsSnapshot StatsRegistry::Snapshot() const {
  StatsSnapshot s;
  absl::MutexLock lock(&mu_);
  for (const auto& block : blocks_) {
    for (int i = 0; i < kNumCounters; ++i) {
      s.counters.at(i) += block->counters_[i].load(std::memory_order_relaxed) +
                          block->engine_counters_[i].load(std::memory_order_relaxed);
    }
    block->timings_.MergeInto(&s.timings);
    for (size_t c = 0; c < block->connection_slots_; ++c) {
      s.connection_bytes.push_back(block->connection_bytes_[c].load(std::memory_order_relaxed));
    }
  }
  return s;
}

size_t StatsRegistry::threads() const {
  absl::MutexLock lock(&mu_);
  return blocks_.size();
}

}  // namespace salvo::metrics
