#include "metrics/hgrm.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace salvo::metrics {
namespace {

// HdrHistogram's default: five reporting steps per halving of the distance to 100%.
constexpr double kTicksPerHalfDistance = 5;

uint64_t CountAtOrBelow(const Histogram& h, double value_ns) {
  const uint32_t last = HistogramLayout::BucketOf(static_cast<uint64_t>(std::llround(value_ns)));
  uint64_t n = 0;
  for (uint32_t b = 0; b <= last && b < HistogramLayout::kNumBuckets; ++b) n += h.bucket_count(b);
  return n;
}

}  // namespace

void WritePercentileDistribution(const Histogram& h, double unit_ns, std::ostream& out) {
  out << absl::StrFormat("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                         "1/(1-Percentile)");
  const uint64_t total = h.count();
  if (total > 0) {
    for (double p = 0;;) {
      const double value = h.Percentile(p);
      const uint64_t below = CountAtOrBelow(h, value);
      if (p >= 100 || below >= total) {
        out << absl::StrFormat("%12.3f %1.12f %10d\n", static_cast<double>(h.max()) / unit_ns, 1.0,
                               total);
        break;
      }
      out << absl::StrFormat("%12.3f %1.12f %10d %14.2f\n", value / unit_ns, p / 100, below,
                             1 / (1 - p / 100));
      const double ticks =
          kTicksPerHalfDistance * std::pow(2, std::floor(std::log2(100 / (100 - p))) + 1);
      p += 100 / ticks;
    }
  }
  const double stddev = h.StdDev();
  out << absl::StrFormat("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.mean() / unit_ns,
                         stddev / unit_ns);
  out << absl::StrFormat("#[Max     = %12.3f, Total count    = %12d]\n",
                         static_cast<double>(h.max()) / unit_ns, total);
  out << absl::StrFormat("#[Buckets = %12d, SubBuckets     = %12d]\n", HistogramLayout::kNumBuckets,
                         HistogramLayout::kSubBuckets);
}

}  // namespace salvo::metrics
