// A mergeable log-linear latency histogram, HdrHistogram-like, over nanoseconds.
//
// Values below 256 ns have a bucket each; above, every power of two is cut into 128 equal
// buckets, so a bucket is at most 1/128 of its lower bound wide and the midpoint that stands for
// it is within 0.4% of any value in it (the contract is 1% from 1 us to 60 s). The layout is
// fixed by the code, so histograms from different threads and agents merge bucket by bucket and
// percentiles come from the merged counts, never from averaging percentiles.
//
//   Histogram h;
//   h.Record(absl::ToInt64Nanoseconds(rtt));
//   other.Merge(h);
//   double p99_us = other.Percentile(99) / 1000;
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace salvo::metrics {

class HistogramLayout {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 128
  static constexpr uint64_t kLinearLimit = 2 * kSubBuckets;               // 256 ns
  // Highest bit of a trackable value: 2^41 ns is about 36 minutes. Larger values land in the
  // last bucket; max() still reports them exactly.
  static constexpr int kMaxBit = 40;
  static constexpr uint32_t kNumBuckets = kLinearLimit + (kMaxBit - kSubBucketBits) * kSubBuckets;

  static uint32_t BucketOf(uint64_t value);
  // The bucket covers [Lower, Upper).
  static uint64_t Lower(uint32_t bucket);
  static uint64_t Upper(uint32_t bucket);
  // The value that stands for the bucket: its midpoint.
  static double Representative(uint32_t bucket);
};

class Histogram {
 public:
  Histogram();

  void Record(uint64_t value_ns) { RecordN(value_ns, 1); }
  void RecordN(uint64_t value_ns, uint64_t n);
  void Merge(const Histogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double sum() const { return sum_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }
  uint64_t bucket_count(uint32_t bucket) const { return counts_[bucket]; }

  // The value at percentile p in [0, 100]: the smallest recorded value with at least p% of the
  // samples at or below it, to bucket resolution, clamped to [min, max]. 0 when empty.
  double Percentile(double p) const;

  // What was recorded in `now` but not yet in `before`, for interval deltas. min and max are
  // bounded by the buckets that changed.
  static Histogram Delta(const Histogram& now, const Histogram& before);

  struct Bucket {
    uint32_t index;
    uint64_t count;
  };
  // The sparse form that travels in reports (wire/figures.h: HistogramToProto).
  std::vector<Bucket> NonEmptyBuckets() const;
  // Rebuilds a histogram from its sparse form. Rejects what a malformed or hostile report could
  // hold: buckets outside the layout, counts that do not add up to the total, min above max.
  static absl::StatusOr<Histogram> FromBuckets(const std::vector<Bucket>& buckets,
                                               uint64_t total_count, uint64_t min_ns,
                                               uint64_t max_ns, double sum_ns);
  // The same checks, for merging a sparse form straight into a histogram (MergeBuckets), which
  // spares the dense copy FromBuckets makes: 35 KB per histogram, a hundred of them per interval
  // at the controller.
  static absl::Status CheckBuckets(const std::vector<Bucket>& buckets, uint64_t total_count,
                                   uint64_t min_ns, uint64_t max_ns, double sum_ns);
  // Adds a sparse form that CheckBuckets accepted.
  void MergeBuckets(const std::vector<Bucket>& buckets, uint64_t total_count, uint64_t min_ns,
                    uint64_t max_ns, double sum_ns);

  // The percentiles a report shows, in microseconds.
  struct Summary {
    uint64_t count = 0;
    double min_us = 0, mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
    double p95_us = 0;
    // From the buckets' representative values: exact to the histogram's resolution (1/128).
    double stddev_us = 0;
  };
  Summary Summarize() const;
  // The standard deviation, in ns, from the buckets' representative values.
  double StdDev() const;

 private:
  friend class AtomicHistogram;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  double sum_ = 0;
};

// A histogram with one writer thread and any number of reader threads. Recording is a relaxed
// load and store per field: no lock, no read-modify-write, no allocation.
class AtomicHistogram {
 public:
  AtomicHistogram();
  // For a copy (CopyFrom): its buckets are allocated by the first copy of a non-empty histogram.
  struct Deferred {};
  explicit AtomicHistogram(Deferred) {}

  void Record(uint64_t value_ns) {
    Bump(counts_[HistogramLayout::BucketOf(value_ns)], 1);
    Bump(count_, 1);
    Bump(sum_, value_ns);
    if (value_ns < min_.load(std::memory_order_relaxed)) {
      min_.store(value_ns, std::memory_order_relaxed);
    }
    if (value_ns > max_.load(std::memory_order_relaxed)) {
      max_.store(value_ns, std::memory_order_relaxed);
    }
  }

  // Adds what has been recorded so far into `out`.
  void MergeInto(Histogram* out) const;

  // Makes this a copy of `from` as it stands, on the thread that records into `from`. Copies
  // only the buckets between the smallest and largest value recorded (a few hundred for most
  // runs, not all 4,480): buckets only grow and that range only widens, so none outside it can
  // differ.
  void CopyFrom(const AtomicHistogram& from);

 private:
  static void Bump(std::atomic<uint64_t>& v, uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void AllocateBuckets();  // all zero
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
  std::atomic<uint64_t> max_{0};
};

}  // namespace salvo::metrics
