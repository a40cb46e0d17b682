#include "metrics/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace salvo::metrics {

uint32_t HistogramLayout::BucketOf(uint64_t value) {
  if (value < kLinearLimit) return static_cast<uint32_t>(value);
  const int msb = 63 - std::countl_zero(value);
  if (msb > kMaxBit) return kNumBuckets - 1;
  const int shift = msb - kSubBucketBits;  // >= 1
  const uint64_t top = value >> shift;     // in [128, 256)
  return static_cast<uint32_t>(kLinearLimit + (shift - 1) * kSubBuckets + (top - kSubBuckets));
}

uint64_t HistogramLayout::Lower(uint32_t bucket) {
  if (bucket < kLinearLimit) return bucket;
  const uint64_t rel = bucket - kLinearLimit;
  const int shift = static_cast<int>(rel / kSubBuckets) + 1;
  const uint64_t top = kSubBuckets + rel % kSubBuckets;
  return top << shift;
}

uint64_t HistogramLayout::Upper(uint32_t bucket) {
  if (bucket < kLinearLimit) return bucket + 1;
  const int shift = static_cast<int>((bucket - kLinearLimit) / kSubBuckets) + 1;
  return Lower(bucket) + (uint64_t{1} << shift);
}

double HistogramLayout::Representative(uint32_t bucket) {
  if (bucket < kLinearLimit) return bucket;
  return (static_cast<double>(Lower(bucket)) + static_cast<double>(Upper(bucket) - 1)) / 2;
}

Histogram::Histogram() : counts_(HistogramLayout::kNumBuckets, 0) {}

void Histogram::RecordN(uint64_t value_ns, uint64_t n) {
  if (n == 0) return;
  counts_[HistogramLayout::BucketOf(value_ns)] += n;
  count_ += n;
  sum_ += static_cast<double>(value_ns) * static_cast<double>(n);
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) counts_[b] += other.counts_[b];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::Clear() { *this = Histogram(); }

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  if (p >= 100) return static_cast<double>(max_);
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(p / 100 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      return std::clamp(HistogramLayout::Representative(b), static_cast<double>(min()),
                        static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

Histogram Histogram::Delta(const Histogram& now, const Histogram& before) {
  Histogram d;
  uint32_t first = HistogramLayout::kNumBuckets, last = 0;
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    const uint64_t c = now.counts_[b] >= before.counts_[b] ? now.counts_[b] - before.counts_[b] : 0;
    d.counts_[b] = c;
    d.count_ += c;
    if (c > 0) {
      first = std::min(first, b);
      last = b;
    }
  }
  if (d.count_ == 0) return d;
  d.sum_ = std::max(0.0, now.sum_ - before.sum_);
  d.min_ = std::max(HistogramLayout::Lower(first), now.min());
  d.max_ = std::min(HistogramLayout::Upper(last) - 1, now.max_);
  return d;
}

absl::Status Histogram::CheckBuckets(const std::vector<Bucket>& buckets, uint64_t total_count,
                                     uint64_t min_ns, uint64_t max_ns, double sum_ns) {
  uint64_t count = 0;
  for (const Bucket& b : buckets) {
    if (b.index >= HistogramLayout::kNumBuckets) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram bucket ", b.index, " is outside the layout"));
    }
    if (count + b.count < count) return absl::InvalidArgumentError("histogram counts overflow");
    count += b.count;
  }
  if (count != total_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("histogram counts add up to ", count, " but its total says ", total_count));
  }
  if (count > 0) {
    if (min_ns > max_ns) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram minimum ", min_ns, " is above its maximum ", max_ns));
    }
    if (!(sum_ns >= 0)) return absl::InvalidArgumentError("histogram sum is negative or NaN");
  }
  return absl::OkStatus();
}

void Histogram::MergeBuckets(const std::vector<Bucket>& buckets, uint64_t total_count,
                             uint64_t min_ns, uint64_t max_ns, double sum_ns) {
  if (total_count == 0) return;
  for (const Bucket& b : buckets) counts_[b.index] += b.count;
  count_ += total_count;
  sum_ += sum_ns;
  min_ = std::min(min_, min_ns);
  max_ = std::max(max_, max_ns);
}

absl::StatusOr<Histogram> Histogram::FromBuckets(const std::vector<Bucket>& buckets,
                                                 uint64_t total_count, uint64_t min_ns,
                                                 uint64_t max_ns, double sum_ns) {
  if (absl::Status s = CheckBuckets(buckets, total_count, min_ns, max_ns, sum_ns); !s.ok())
    return s;
  Histogram h;
  h.MergeBuckets(buckets, total_count, min_ns, max_ns, sum_ns);
  return h;
}

std::vector<Histogram::Bucket> Histogram::NonEmptyBuckets() const {
  std::vector<Bucket> out;
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    if (counts_[b] != 0) out.push_back(Bucket{b, counts_[b]});
  }
  return out;
}

Histogram::Summary Histogram::Summarize() const {
  Summary s;
  s.count = count_;
  s.min_us = static_cast<double>(min()) / 1000;
  s.mean_us = mean() / 1000;
  s.p50_us = Percentile(50) / 1000;
  s.p90_us = Percentile(90) / 1000;
  s.p99_us = Percentile(99) / 1000;
  s.p999_us = Percentile(99.9) / 1000;
  s.max_us = static_cast<double>(max_) / 1000;
  s.p95_us = Percentile(95) / 1000;
  s.stddev_us = StdDev() / 1000;
  return s;
}

double Histogram::StdDev() const {
  if (count_ == 0) return 0;
  const double m = mean();
  double sum = 0;
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    if (counts_[b] == 0) continue;
    const double d = std::clamp(HistogramLayout::Representative(b), static_cast<double>(min()),
                                static_cast<double>(max_)) -
                     m;
    sum += d * d * static_cast<double>(counts_[b]);
  }
  return std::sqrt(sum / static_cast<double>(count_));
}

AtomicHistogram::AtomicHistogram() { AllocateBuckets(); }

void AtomicHistogram::AllocateBuckets() {
  counts_.reset(new std::atomic<uint64_t>[HistogramLayout::kNumBuckets]);
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    counts_[b].store(0, std::memory_order_relaxed);
  }
}

void AtomicHistogram::MergeInto(Histogram* out) const {
  if (counts_ == nullptr) return;  // a copy that was never made
  uint64_t count = 0;
  for (uint32_t b = 0; b < HistogramLayout::kNumBuckets; ++b) {
    const uint64_t c = counts_[b].load(std::memory_order_relaxed);
    out->counts_[b] += c;
    count += c;
  }
  if (count == 0) return;
  // Summing the buckets (not reading count_) keeps count consistent with the buckets read.
  out->count_ += count;
  out->sum_ += static_cast<double>(sum_.load(std::memory_order_relaxed));
  out->min_ = std::min(out->min_, min_.load(std::memory_order_relaxed));
  out->max_ = std::max(out->max_, max_.load(std::memory_order_relaxed));
}

void AtomicHistogram::CopyFrom(const AtomicHistogram& from) {
  const uint64_t count = from.count_.load(std::memory_order_relaxed);
  if (count == 0 || count == count_.load(std::memory_order_relaxed)) return;
  // A sealed copy takes memory only for the timings a run records (two or three of six).
  if (counts_ == nullptr) AllocateBuckets();
  const uint64_t lo = from.min_.load(std::memory_order_relaxed);
  const uint64_t hi = from.max_.load(std::memory_order_relaxed);
  for (uint32_t b = HistogramLayout::BucketOf(lo); b <= HistogramLayout::BucketOf(hi); ++b) {
    counts_[b].store(from.counts_[b].load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  sum_.store(from.sum_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  min_.store(lo, std::memory_order_relaxed);
  max_.store(hi, std::memory_order_relaxed);
  count_.store(count, std::memory_order_relaxed);
}

}  // namespace salvo::metrics
