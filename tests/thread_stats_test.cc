#include "metrics/thread_stats.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace salvo::metrics {
namespace {

TEST(ThreadStats, EveryCounterFieldHasAStatOfTheSameName) {
  const auto* descriptor = v1::Counters::descriptor();
  ASSERT_EQ(descriptor->field_count(), kNumStats);
  for (int i = 0; i < kNumStats; ++i) {
    EXPECT_NE(descriptor->FindFieldByName(kStatNames[i]), nullptr) << kStatNames[i];
  }
  CounterValues values{};
  for (int i = 0; i < kNumStats; ++i) values[i] = 1000 + i;
  v1::Counters proto;
  CountersToProto(values, &proto);
  EXPECT_EQ(proto.bytes_sent(), 1000u + static_cast<int>(Stat::kBytesSent));
  EXPECT_EQ(CountersFromProto(proto), values);
}

TEST(StatsRegistry, RegistersEachThreadOnFirstUseAndSumsThem) {
  StatsRegistry registry;
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 100000;
  std::vector<std::thread> threads;
  std::atomic<int> distinct_blocks{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadStats& first = registry.Local(2);
      ThreadStats& again = registry.Local(2);
      if (&first == &again) distinct_blocks.fetch_add(1);
      for (uint64_t i = 0; i < kPerThread; ++i) {
        first.Add(Stat::kBytesSent, 3);
        first.RecordLatency(1000 + t);
      }
      first.AddConnectionBytes(0, 10 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(distinct_blocks.load(), kThreads);
  EXPECT_EQ(registry.threads(), static_cast<size_t>(kThreads));
  const StatsSnapshot s = registry.Snapshot();
  EXPECT_EQ(s.Get(Stat::kBytesSent), 3 * kPerThread * kThreads);
  EXPECT_EQ(s.latency().count(), kPerThread * kThreads);
  EXPECT_EQ(s.latency().min(), 1000u);
  EXPECT_EQ(s.latency().max(), 1000u + kThreads - 1);
  // Two slots per thread; the second of each received nothing.
  ASSERT_EQ(s.connection_bytes.size(), 2u * kThreads);
  v1::Fairness f;
  s.FairnessToProto(&f);
  EXPECT_EQ(f.connections(), 2u * kThreads);
  EXPECT_EQ(f.starved_connections(), static_cast<uint32_t>(kThreads));
  EXPECT_EQ(f.max_bytes(), 10u * kThreads);
}

TEST(StatsRegistry, ANewRegistryOnTheSameThreadGetsAFreshBlock) {
  uint64_t first_value = 0;
  {
    StatsRegistry a;
    a.Local().Add(Stat::kMessages, 5);
    first_value = a.Snapshot().Get(Stat::kMessages);
  }
  StatsRegistry b;
  b.Local().Add(Stat::kMessages, 1);
  EXPECT_EQ(first_value, 5u);
  EXPECT_EQ(b.Snapshot().Get(Stat::kMessages), 1u);
  EXPECT_EQ(b.threads(), 1u);
}

TEST(StatsSnapshot, SinceGivesIntervalDeltas) {
  StatsRegistry registry;
  ThreadStats& stats = registry.Local(3);
  stats.Add(Stat::kRecvCalls, 10);
  stats.AddConnectionBytes(0, 100);
  stats.AddConnectionBytes(1, 100);
  const StatsSnapshot first = registry.Snapshot();
  stats.Add(Stat::kRecvCalls, 5);
  stats.AddConnectionBytes(1, 7);
  stats.AddConnectionBytes(2, 9);
  const StatsSnapshot d = registry.Snapshot().Since(first);
  EXPECT_EQ(d.Get(Stat::kRecvCalls), 5u);
  EXPECT_EQ(d.connection_bytes, (std::vector<uint64_t>{0, 7, 9}));
  v1::Fairness f;
  d.FairnessToProto(&f);
  EXPECT_EQ(f.starved_connections(), 1u);
  EXPECT_EQ(f.min_bytes(), 0u);
  EXPECT_EQ(f.max_bytes(), 9u);
}

}  // namespace
}  // namespace salvo::metrics
