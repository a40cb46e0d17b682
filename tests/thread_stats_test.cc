#include "metrics/thread_stats.h"

#include <atomic>
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
      ConnectionSample sample;
      sample.delivered = 10 * (t + 1);
      first.StoreSample(0, sample);
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
  // Two slots per thread; the second of each delivered nothing.
  ASSERT_EQ(s.connections.size(), 2u * kThreads);
  const FairnessStats f = s.DeliveredFairness();
  EXPECT_EQ(f.Connections(), 2u * kThreads);
  EXPECT_EQ(f.Starved(), static_cast<uint32_t>(kThreads));
  EXPECT_EQ(f.Max(), 10u * kThreads);
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

// Issue 21: an interval's counters and its connection samples must describe one instant. A
// sealed snapshot reads the counters as the owner sealed them beside its samples, however far
// the live ones have moved on since.
TEST(StatsRegistry, ASealedSnapshotReadsTheCountersOfTheLastSealNotTheLiveOnes) {
  StatsRegistry registry;
  ThreadStats& stats = registry.Local(/*connection_slots=*/1);
  CounterValues engine;
  engine[Counter::kBytesSent] = 100;
  stats.PublishEngine(engine);
  stats.Add(Counter::kMessages, 2);
  ConnectionSample sample;
  sample.delivered = 100;
  stats.StoreSample(0, sample);
  stats.Record(Timing::kRoundTrip, 1'000);
  stats.Record(Timing::kRoundTrip, 9'000'000);
  stats.Seal();
  engine[Counter::kBytesSent] = 900;  // the worker sent on after its sample
  stats.PublishEngine(engine);
  stats.Add(Counter::kMessages, 5);
  stats.Record(Timing::kRoundTrip, 5'000);
  const StatsSnapshot sealed = registry.Snapshot(StatsRegistry::Read::kSealed);
  EXPECT_EQ(sealed.Get(Counter::kBytesSent), 100u);
  EXPECT_EQ(sealed.Get(Counter::kMessages), 2u);
  EXPECT_EQ(sealed.connections.at(0).delivered, 100u);
  EXPECT_EQ(sealed.timing(Timing::kRoundTrip).count(), 2u);
  EXPECT_EQ(sealed.timing(Timing::kRoundTrip).max(), 9'000'000u);
  EXPECT_EQ(registry.Snapshot().Get(Counter::kBytesSent), 900u);
  stats.Seal();
  const StatsSnapshot resealed = registry.Snapshot(StatsRegistry::Read::kSealed);
  EXPECT_EQ(resealed.Get(Counter::kMessages), 7u);
  EXPECT_EQ(resealed.timing(Timing::kRoundTrip).count(), 3u);
  EXPECT_EQ(resealed.timing(Timing::kRoundTrip).min(), 1'000u);
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
  const auto delivered = [&](size_t slot, uint64_t bytes) {
    ConnectionSample s;
    s.delivered = bytes;
    stats.StoreSample(slot, s);
  };
  stats.Add(Counter::kRecvCalls, 10);
  delivered(0, 100);
  delivered(1, 100);
  const StatsSnapshot first = registry.Snapshot();
  stats.Add(Counter::kRecvCalls, 5);
  delivered(1, 107);
  delivered(2, 9);
  const StatsSnapshot d = registry.Snapshot().Since(first);
  EXPECT_EQ(d.Get(Counter::kRecvCalls), 5u);
  ASSERT_EQ(d.connections.size(), 3u);
  EXPECT_EQ(d.connections[0].delivered, 0u);
  EXPECT_EQ(d.connections[1].delivered, 7u);
  EXPECT_EQ(d.connections[2].delivered, 9u);
  const FairnessStats f = d.DeliveredFairness();
  EXPECT_EQ(f.Starved(), 1u);
  EXPECT_EQ(f.Min(), 0u);
  EXPECT_EQ(f.Max(), 9u);
}

TEST(StatsSnapshot, StepFromGivesWhatSinceGivesAndKeepsTheCumulativeSnapshot) {
  StatsRegistry registry;
  ThreadStats& stats = registry.Local(2);
  ConnectionSample s;
  s.delivered = 100;
  stats.StoreSample(0, s);
  stats.Add(Counter::kRecvCalls, 10);
  stats.Record(Timing::kRoundTrip, 5000);
  StatsSnapshot previous = registry.Snapshot();
  s.delivered = 130;
  stats.StoreSample(0, s);
  s.delivered = 4;
  stats.StoreSample(1, s);
  stats.Add(Counter::kRecvCalls, 3);
  stats.Record(Timing::kRoundTrip, 7000);
  stats.Record(Timing::kRoundTrip, 9000);
  const StatsSnapshot cumulative = registry.Snapshot();
  const StatsSnapshot expected = cumulative.Since(previous);
  StatsSnapshot step = registry.Snapshot();
  step.StepFrom(&previous);
  EXPECT_EQ(step.Get(Counter::kRecvCalls), expected.Get(Counter::kRecvCalls));
  EXPECT_EQ(step.Get(Counter::kRecvCalls), 3u);
  EXPECT_EQ(step.timing(Timing::kRoundTrip).count(), 2u);
  ASSERT_EQ(step.connections.size(), 2u);
  EXPECT_EQ(step.connections[0].delivered, 30u);
  EXPECT_EQ(step.connections[1].delivered, 4u);
  // `previous` is now the cumulative snapshot: the next step starts from it.
  EXPECT_EQ(previous.Get(Counter::kRecvCalls), 13u);
  EXPECT_EQ(previous.timing(Timing::kRoundTrip).count(), 3u);
  EXPECT_EQ(previous.connections[0].delivered, 130u);
}

// Issue 21: a worker busy past the sampling timeout left its connections' old samples in the
// interval, and they read as starved ("starved: 500 of 1000", one worker's share).
TEST(StatsSnapshot, AWorkerThatDidNotSealInTheSpanLeavesItsConnectionsUnsampledNotStarved) {
  StatsRegistry registry;
  ThreadStats& prompt = registry.Add(3);
  ThreadStats& late = registry.Add(2);
  prompt.Seal();
  late.Seal();
  StatsSnapshot previous = registry.Snapshot(StatsRegistry::Read::kSealed);
  ConnectionSample s;
  for (size_t c = 0; c < 3; ++c) {
    s.delivered = 1000 * (c + 1);
    prompt.StoreSample(c, s);
  }
  prompt.Seal();  // the late worker does not answer this request
  StatsSnapshot step = registry.Snapshot(StatsRegistry::Read::kSealed);
  const StatsSnapshot since = step.Since(previous);
  step.StepFrom(&previous);
  for (const StatsSnapshot* d : std::initializer_list<const StatsSnapshot*>{&step, &since}) {
    ASSERT_EQ(d->connections.size(), 5u);
    EXPECT_FALSE(d->Unsampled(0));
    EXPECT_FALSE(d->Unsampled(2));
    EXPECT_TRUE(d->Unsampled(3));
    EXPECT_TRUE(d->Unsampled(4));
    const FairnessStats f = d->DeliveredFairness();
    EXPECT_EQ(f.Connections(), 3u);
    EXPECT_EQ(f.Unsampled(), 2u);
    EXPECT_EQ(f.Starved(), 0u);
  }
  // Both answer the next request: everyone is sampled again, and the late worker's bytes of
  // both spans count in this one.
  s.delivered = 5000;
  late.StoreSample(0, s);
  late.StoreSample(1, s);
  prompt.Seal();
  late.Seal();
  StatsSnapshot next = registry.Snapshot(StatsRegistry::Read::kSealed);
  next.StepFrom(&previous);
  EXPECT_TRUE(next.unsampled.empty());
  EXPECT_EQ(next.DeliveredFairness().Unsampled(), 0u);
  EXPECT_EQ(next.connections[3].delivered, 5000u);
  // Two prompt connections delivered nothing more: starved, and sampled.
  EXPECT_EQ(next.DeliveredFairness().Starved(), 3u);
}

// A snapshot taken while a worker seals sees the whole of one reading: its counters and its
// connection samples from the same seal.
TEST(StatsRegistry, ASealedSnapshotNeverMixesTwoSeals) {
  StatsRegistry registry;
  ThreadStats& stats = registry.Add(64);
  std::atomic<bool> done{false};
  std::thread worker([&] {
    CounterValues engine;
    for (uint64_t v = 1; v <= 20000; ++v) {
      stats.BeginSample();
      ConnectionSample s;
      s.delivered = v;
      for (size_t c = 0; c < 64; ++c) stats.StoreSample(c, s);
      engine[Counter::kBytesSent] = v;
      stats.PublishEngine(engine);
      stats.Seal();
    }
    done.store(true);
  });
  uint64_t torn = 0, reads = 0;
  while (!done.load()) {
    const StatsSnapshot snap = registry.Snapshot(StatsRegistry::Read::kSealed);
    const uint64_t sent = snap.Get(Counter::kBytesSent);
    for (const ConnectionSample& c : snap.connections) torn += c.delivered != sent;
    ++reads;
  }
  worker.join();
  EXPECT_GT(reads, 0u);
  EXPECT_EQ(torn, 0u);
}

}  // namespace
}  // namespace salvo::metrics
