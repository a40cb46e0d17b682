#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace salvo::metrics {
namespace {

// The exact percentile of sorted samples under the same definition the histogram uses: the
// smallest value with at least p% of the samples at or below it.
double ExactPercentile(const std::vector<uint64_t>& sorted, double p) {
  if (p >= 100) return static_cast<double>(sorted.back());
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(p / 100 * sorted.size())));
  return static_cast<double>(sorted[rank - 1]);
}

std::vector<uint64_t> LogUniformSamples(size_t n, double lo_ns, double hi_ns, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(std::log(lo_ns), std::log(hi_ns));
  std::vector<uint64_t> v(n);
  for (auto& x : v) x = static_cast<uint64_t>(std::exp(exponent(rng)));
  return v;
}

constexpr double kPercentiles[] = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

TEST(HistogramLayout, BucketsTileTheRangeWithoutGapsAndWithinOnePercent) {
  for (uint32_t b = 0; b + 1 < HistogramLayout::kNumBuckets; ++b) {
    ASSERT_EQ(HistogramLayout::Upper(b), HistogramLayout::Lower(b + 1)) << b;
    ASSERT_EQ(HistogramLayout::BucketOf(HistogramLayout::Lower(b)), b);
    ASSERT_EQ(HistogramLayout::BucketOf(HistogramLayout::Upper(b) - 1), b);
    const double lower = static_cast<double>(HistogramLayout::Lower(b));
    const double width = static_cast<double>(HistogramLayout::Upper(b)) - lower;
    if (lower >= 1000) {
      ASSERT_LE(width / lower, 0.01) << b;
    }
  }
  // 60 s must be inside the tracked range, not in the overflow bucket.
  EXPECT_LT(HistogramLayout::BucketOf(60'000'000'000ull), HistogramLayout::kNumBuckets - 1);
}

TEST(Histogram, PercentilesWithinOnePercentOfExactFrom1usTo60s) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::vector<uint64_t> samples = LogUniformSamples(200000, 1e3, 60e9, seed);
    Histogram h;
    for (uint64_t v : samples) h.Record(v);
    std::sort(samples.begin(), samples.end());
    ASSERT_EQ(h.count(), samples.size());
    EXPECT_EQ(h.min(), samples.front());
    EXPECT_EQ(h.max(), samples.back());
    for (double p : kPercentiles) {
      const double exact = ExactPercentile(samples, p);
      EXPECT_NEAR(h.Percentile(p), exact, exact * 0.01) << "p" << p << " seed " << seed;
    }
  }
}

TEST(Histogram, NarrowDistributionLikeLoopbackRoundTrips) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> rtt(45000, 4000);  // 45 us +- 4 us
  std::vector<uint64_t> samples(100000);
  for (auto& x : samples) x = static_cast<uint64_t>(std::max(1000.0, rtt(rng)));
  Histogram h;
  for (uint64_t v : samples) h.Record(v);
  std::sort(samples.begin(), samples.end());
  for (double p : kPercentiles) {
    const double exact = ExactPercentile(samples, p);
    EXPECT_NEAR(h.Percentile(p), exact, exact * 0.01) << "p" << p;
  }
  double sum = 0;
  for (uint64_t v : samples) sum += static_cast<double>(v);
  EXPECT_DOUBLE_EQ(h.mean(), sum / samples.size());
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::vector<uint64_t> samples = LogUniformSamples(90000, 1e3, 1e9, 5);
  Histogram all;
  std::vector<Histogram> parts(3);
  for (size_t i = 0; i < samples.size(); ++i) {
    all.Record(samples[i]);
    // Skewed split: the parts have different distributions, so averaging their percentiles
    // would be wrong while merging is exact.
    parts[samples[i] < 1e6 ? 0 : (i % 2 == 0 ? 1 : 2)].Record(samples[i]);
  }
  Histogram merged;
  for (const Histogram& p : parts) merged.Merge(p);
  ASSERT_EQ(merged.count(), all.count());
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    ASSERT_EQ(merged.bucket_count(b), all.bucket_count(b));
  }
  std::sort(samples.begin(), samples.end());
  for (double p : kPercentiles) {
    EXPECT_EQ(merged.Percentile(p), all.Percentile(p));
    const double exact = ExactPercentile(samples, p);
    EXPECT_NEAR(merged.Percentile(p), exact, exact * 0.01);
  }
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
}

TEST(Histogram, SparseRoundTripAndMalformedInput) {
  Histogram h;
  for (uint64_t v : LogUniformSamples(5000, 1e3, 1e8, 9)) h.Record(v);
  const std::vector<Histogram::Bucket> buckets = h.NonEmptyBuckets();
  absl::StatusOr<Histogram> back =
      Histogram::FromBuckets(buckets, h.count(), h.min(), h.max(), h.sum());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->count(), h.count());
  EXPECT_EQ(back->Percentile(99), h.Percentile(99));
  EXPECT_EQ(back->max(), h.max());

  std::vector<Histogram::Bucket> bad = buckets;
  bad.push_back({HistogramLayout::kNumBuckets, 1});
  EXPECT_FALSE(Histogram::FromBuckets(bad, h.count() + 1, h.min(), h.max(), h.sum()).ok());
  EXPECT_FALSE(Histogram::FromBuckets(buckets, h.count() + 1, h.min(), h.max(), h.sum()).ok());
  EXPECT_FALSE(Histogram::FromBuckets(buckets, h.count(), h.max() + 1, h.max(), h.sum()).ok());
  EXPECT_FALSE(Histogram::FromBuckets(buckets, h.count(), h.min(), h.max(), -1).ok());
  bad = {{1, UINT64_MAX}, {2, 2}};
  EXPECT_FALSE(Histogram::FromBuckets(bad, 1, 1, 2, 3).ok());
}

TEST(Histogram, DeltaIsWhatWasRecordedInBetween) {
  Histogram before, now, between;
  for (uint64_t v : LogUniformSamples(1000, 1e3, 1e6, 1)) {
    before.Record(v);
    now.Record(v);
  }
  for (uint64_t v : LogUniformSamples(1000, 1e6, 1e8, 2)) {
    now.Record(v);
    between.Record(v);
  }
  const Histogram d = Histogram::Delta(now, before);
  EXPECT_EQ(d.count(), between.count());
  EXPECT_EQ(d.Percentile(50), between.Percentile(50));
  EXPECT_NEAR(static_cast<double>(d.min()), static_cast<double>(between.min()),
              between.min() * 0.01);
}

TEST(Histogram, StandardDeviationAndP95MatchTheSamplesToTheBucketResolution) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> gap(1.0 / 80000);  // mean 80 us, in ns
  std::vector<double> samples;
  Histogram h;
  for (int i = 0; i < 200000; ++i) {
    const double v = 1000 + gap(rng);
    samples.push_back(v);
    h.Record(static_cast<uint64_t>(v));
  }
  double mean = 0;
  for (double v : samples) mean += v;
  mean /= static_cast<double>(samples.size());
  double var = 0;
  for (double v : samples) var += (v - mean) * (v - mean);
  const double stddev = std::sqrt(var / static_cast<double>(samples.size()));
  EXPECT_NEAR(h.StdDev(), stddev, stddev * 0.01);
  std::sort(samples.begin(), samples.end());
  const double p95 = samples[static_cast<size_t>(0.95 * static_cast<double>(samples.size())) - 1];
  EXPECT_NEAR(h.Summarize().p95_us * 1000, p95, p95 * 0.01);
  EXPECT_NEAR(h.Summarize().stddev_us * 1000, stddev, stddev * 0.01);
  EXPECT_EQ(Histogram().StdDev(), 0);
}

TEST(AtomicHistogram, ReaderSeesConsistentCountsWhileAWriterRecords) {
  // The writer keeps recording until the reader has checked enough snapshots taken mid-write
  // (bounded by a cap), so a busy machine that delays the reader cannot make the test vacuous.
  constexpr uint64_t kMaxRecords = 200000000;
  constexpr int kWantedPartialSnapshots = 20;
  AtomicHistogram h;
  std::atomic<bool> reading{false}, enough{false}, done{false};
  std::atomic<uint64_t> written{0};
  std::thread writer([&] {
    while (!reading.load()) {
    }
    uint64_t i = 0;
    // At least one full cycle of values, so min and max below are known.
    for (; i < kMaxRecords && (i < 100000 || !enough.load(std::memory_order_relaxed)); ++i) {
      h.Record(1000 + i % 100000);
    }
    written = i;
    done = true;
  });
  Histogram last;
  int partial_snapshots = 0;
  reading = true;
  while (!done) {
    Histogram snapshot;
    h.MergeInto(&snapshot);
    // Every bucket, not only the total, only grows between snapshots.
    for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
      ASSERT_GE(snapshot.bucket_count(b), last.bucket_count(b)) << "bucket " << b;
    }
    ASSERT_GE(snapshot.count(), last.count());
    partial_snapshots += snapshot.count() > last.count();
    if (partial_snapshots >= kWantedPartialSnapshots) enough = true;
    last = snapshot;
  }
  writer.join();
  // The checks above ran against a histogram that was being written, or they proved nothing.
  EXPECT_GE(partial_snapshots, kWantedPartialSnapshots);
  ASSERT_GE(written.load(), 100000u);
  Histogram final_snapshot;
  h.MergeInto(&final_snapshot);
  EXPECT_EQ(final_snapshot.count(), written.load());
  EXPECT_EQ(final_snapshot.min(), 1000u);
  EXPECT_EQ(final_snapshot.max(), 1000u + 99999);
}

}  // namespace
}  // namespace salvo::metrics
