#include "metrics/thread_stats.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

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

namespace {

// The seals of each block between `before` and `now` into `seals`, and which connections had
// none into `unsampled` (left empty when all had some). Only between two sealed snapshots of the
// same registry.
void StepSeals(const StatsSnapshot& now, const StatsSnapshot& before, std::vector<uint64_t>* seals,
               std::vector<bool>* unsampled) {
  seals->assign(now.block_seals.size(), 0);
  unsampled->clear();
  if (now.block_seals.size() != before.block_seals.size()) return;
  size_t first = 0;
  for (size_t b = 0; b < now.block_seals.size(); ++b) {
    (*seals)[b] = now.block_seals[b] - std::min(now.block_seals[b], before.block_seals[b]);
    if ((*seals)[b] == 0 && now.block_slots[b] > 0) {
      unsampled->resize(now.connections.size(), false);
      for (size_t c = first; c < first + now.block_slots[b] && c < unsampled->size(); ++c) {
        (*unsampled)[c] = true;
      }
    }
    first += now.block_slots[b];
  }
}

}  // namespace

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
  d.block_slots = block_slots;
  StepSeals(*this, before, &d.block_seals, &d.unsampled);
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
  std::vector<uint64_t> seals;
  StepSeals(*this, p, &seals, &unsampled);
  p.block_seals = std::exchange(block_seals, std::move(seals));
  p.block_slots = block_slots;
}

FairnessStats StatsSnapshot::DeliveredFairness() const {
  FairnessStats f;
  for (size_t i = 0; i < connections.size(); ++i) {
    if (Unsampled(i)) {
      f.AddUnsampled();
    } else if (connections[i].idle && connections[i].delivered == 0) {
      f.AddIdle();
    } else {
      f.Add(connections[i].delivered);
    }
  }
  return f;
}

TcpHealthStats StatsSnapshot::TcpHealth() const {
  TcpHealthStats h;
  for (size_t i = 0; i < connections.size(); ++i) {
    if (!Unsampled(i)) h.Add(connections[i]);
  }
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
  absl::MutexLock lock(&mu_);
  // Exactly sized: at 10,000 connections a snapshot's samples are half a megabyte, and several
  // snapshots live at once.
  size_t slots = 0;
  for (const auto& block : blocks_) slots += block->connection_slots_;
  // A sealed snapshot takes each block's seal whole: a block whose owner sealed while it was
  // read (its sequence moved) makes the snapshot start over, which is rare (workers seal only
  // when asked) and spares a copy of every block's histograms in the common case.
  for (;;) {
    StatsSnapshot s;
    s.connections.reserve(slots);
    bool torn = false;
    for (const auto& block : blocks_) {
      if (read == Read::kLive) {
        for (int i = 0; i < kNumCounters; ++i) s.counters.at(i) += block->Live(i);
        block->timings_.MergeInto(&s.timings);
        for (size_t c = 0; c < block->connection_slots_; ++c) {
          s.connections.push_back(block->samples_[c].Load());
        }
        continue;
      }
      uint64_t seq = block->seal_seq_.load(std::memory_order_acquire);
      // A seal under way takes its worker one pass over its connections.
      while (seq % 2 == 1) {
        absl::SleepFor(absl::Microseconds(50));
        seq = block->seal_seq_.load(std::memory_order_acquire);
      }
      for (int i = 0; i < kNumCounters; ++i) {
        s.counters.at(i) += block->sealed_[i].load(std::memory_order_relaxed);
      }
      block->sealed_timings_.MergeInto(&s.timings);
      for (size_t c = 0; c < block->connection_slots_; ++c) {
        s.connections.push_back(block->samples_[c].Load());
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if (block->seal_seq_.load(std::memory_order_relaxed) != seq) {
        torn = true;
        break;
      }
      s.block_slots.push_back(block->connection_slots_);
      s.block_seals.push_back(seq / 2);
    }
    if (!torn) return s;
  }
}

size_t StatsRegistry::threads() const {
  absl::MutexLock lock(&mu_);
  return blocks_.size();
}

}  // namespace salvo::metrics
