#include "metrics/thread_stats.h"

#include <algorithm>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace salvo::metrics {

const std::array<const char*, kNumStats> kStatNames = {
    "connections_established",
    "connect_errors",
    "closed_by_peer",
    "send_calls",
    "recv_calls",
    "bytes_sent",
    "bytes_received",
    "messages",
    "verify_errors",
    "send_errors",
    "recv_errors",
    "send_would_block",
    "recv_would_block",
    "zc_sends",
    "zc_copied",
    "send_nobufs",
};

namespace {

const google::protobuf::FieldDescriptor* CounterField(int i) {
  static const auto* fields = [] {
    auto* f = new std::array<const google::protobuf::FieldDescriptor*, kNumStats>();
    const auto* descriptor = v1::Counters::descriptor();
    for (int k = 0; k < kNumStats; ++k) (*f)[k] = descriptor->FindFieldByName(kStatNames[k]);
    return f;
  }();
  return (*fields)[i];
}

std::atomic<uint64_t> next_registry_id{1};

// The per-thread slot: which registry this thread last registered with and its block there.
// Registry ids are never reused, so a stale slot from a finished run never matches.
struct LocalSlot {
  uint64_t registry_id = 0;
  ThreadStats* stats = nullptr;
};
thread_local LocalSlot local_slot;

}  // namespace

void CountersToProto(const CounterValues& values, v1::Counters* out) {
  const auto* reflection = out->GetReflection();
  for (int i = 0; i < kNumStats; ++i) reflection->SetUInt64(out, CounterField(i), values[i]);
}

CounterValues CountersFromProto(const v1::Counters& in) {
  CounterValues values{};
  const auto* reflection = in.GetReflection();
  for (int i = 0; i < kNumStats; ++i) values[i] = reflection->GetUInt64(in, CounterField(i));
  return values;
}

ThreadStats::ThreadStats(size_t connection_slots)
    : connection_slots_(connection_slots),
      connection_bytes_(new std::atomic<uint64_t>[std::max<size_t>(connection_slots, 1)]) {
  for (size_t i = 0; i < connection_slots; ++i) {
    connection_bytes_[i].store(0, std::memory_order_relaxed);
  }
}

StatsSnapshot StatsSnapshot::Since(const StatsSnapshot& before) const {
  StatsSnapshot d;
  for (int i = 0; i < kNumStats; ++i) {
    d.counters[i] = counters[i] - std::min(counters[i], before.counters[i]);
  }
  for (int t = 0; t < kNumTimings; ++t)
    d.timings[t] = Histogram::Delta(timings[t], before.timings[t]);
  d.connection_bytes = connection_bytes;
  for (size_t i = 0; i < d.connection_bytes.size() && i < before.connection_bytes.size(); ++i) {
    d.connection_bytes[i] -= std::min(d.connection_bytes[i], before.connection_bytes[i]);
  }
  return d;
}

void StatsSnapshot::FairnessToProto(v1::Fairness* out) const {
  out->Clear();
  out->set_connections(static_cast<uint32_t>(connection_bytes.size()));
  if (connection_bytes.empty()) return;
  uint32_t starved = 0;
  for (uint64_t b : connection_bytes) starved += b == 0;
  out->set_starved_connections(starved);
  auto [lo, hi] = std::minmax_element(connection_bytes.begin(), connection_bytes.end());
  out->set_min_bytes(*lo);
  out->set_max_bytes(*hi);
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
    for (int i = 0; i < kNumStats; ++i) {
      s.counters[i] += block->counters_[i].load(std::memory_order_relaxed);
    }
    for (int t = 0; t < kNumTimings; ++t) block->timings_[t].MergeInto(&s.timings[t]);
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
