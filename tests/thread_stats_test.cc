#include "metrics/thread_stats.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace salvo::metrics {
namespace {

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
        first.Add(Counter::kBytesSent, 3);
        first.Record(Timing::kRoundTrip, 1000 + t);
      }
      first.AddConnectionBytes(0, 10 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(distinct_blocks.load(), kThreads);
  EXPECT_EQ(registry.threads(), static_cast<size_t>(kThreads));
  const StatsSnapshot s = registry.Snapshot();
  EXPECT_EQ(s.Get(Counter::kBytesSent), 3 * kPerThread * kThreads);
  const Histogram& rtt = s.timing(Timing::kRoundTrip);
  EXPECT_EQ(rtt.count(), kPerThread * kThreads);
  EXPECT_EQ(rtt.min(), 1000u);
  EXPECT_EQ(rtt.max(), 1000u + kThreads - 1);
  // Two slots per thread; the second of each received nothing.
  ASSERT_EQ(s.connection_bytes.size(), 2u * kThreads);
  const Fairness f = s.ConnectionFairness();
  EXPECT_EQ(f.connections, 2u * kThreads);
  EXPECT_EQ(f.starved, static_cast<uint32_t>(kThreads));
  EXPECT_EQ(f.max_bytes, 10u * kThreads);
}

TEST(StatsRegistry, EngineCountersArePublishedBesideTheWorkloadsOwn) {
  StatsRegistry registry;
  ThreadStats& stats = registry.Local();
  stats.Add(Counter::kMessages, 4);
  CounterValues engine;
  engine[Counter::kBytesSent] = 100;
  engine[Counter::kMessages] = 1;  // would never happen, but must add, not replace
  stats.PublishEngine(engine);
  EXPECT_EQ(registry.Snapshot().Get(Counter::kBytesSent), 100u);
  EXPECT_EQ(registry.Snapshot().Get(Counter::kMessages), 5u);
  // A later publication replaces the engine's earlier values: they are totals, not deltas.
  engine[Counter::kBytesSent] = 250;
  stats.PublishEngine(engine);
  EXPECT_EQ(registry.Snapshot().Get(Counter::kBytesSent), 250u);
  EXPECT_EQ(stats.Get(Counter::kBytesSent), 250u);
}

TEST(StatsRegistry, ANewRegistryOnTheSameThreadGetsAFreshBlock) {
  uint64_t first_value = 0;
  {
    StatsRegistry a;
    a.Local().Add(Counter::kMessages, 5);
    first_value = a.Snapshot().Get(Counter::kMessages);
  }
  StatsRegistry b;
  b.Local().Add(Counter::kMessages, 1);
  EXPECT_EQ(first_value, 5u);
  EXPECT_EQ(b.Snapshot().Get(Counter::kMessages), 1u);
  EXPECT_EQ(b.threads(), 1u);
}

TEST(StatsSnapshot, SinceGivesIntervalDeltas) {
  StatsRegistry registry;
  ThreadStats& stats = registry.Local(3);
  stats.Add(Counter::kRecvCalls, 10);
  stats.AddConnectionBytes(0, 100);
  stats.AddConnectionBytes(1, 100);
  const StatsSnapshot first = registry.Snapshot();
  stats.Add(Counter::kRecvCalls, 5);
  stats.AddConnectionBytes(1, 7);
  stats.AddConnectionBytes(2, 9);
  const StatsSnapshot d = registry.Snapshot().Since(first);
  EXPECT_EQ(d.Get(Counter::kRecvCalls), 5u);
  EXPECT_EQ(d.connection_bytes, (std::vector<uint64_t>{0, 7, 9}));
  const Fairness f = d.ConnectionFairness();
  EXPECT_EQ(f.starved, 1u);
  EXPECT_EQ(f.min_bytes, 0u);
  EXPECT_EQ(f.max_bytes, 9u);
}

}  // namespace
}  // namespace salvo::metrics
