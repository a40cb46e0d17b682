#include "workload/schedule.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace salvo::workload {
namespace {

// Mean and coefficient of variation of the gaps between n consecutive intended send times.
struct GapStats {
  double mean_ns;
  double cv;
};
GapStats Gaps(Schedule& s, int n) {
  std::vector<double> gaps;
  uint64_t previous = s.next_ns();
  for (int i = 0; i < n; ++i) {
    s.Advance();
    gaps.push_back(static_cast<double>(s.next_ns() - previous));
    previous = s.next_ns();
  }
  double sum = 0, sum_sq = 0;
  for (double g : gaps) sum += g;
  const double mean = sum / n;
  for (double g : gaps) sum_sq += (g - mean) * (g - mean);
  return {mean, std::sqrt(sum_sq / n) / mean};
}

TEST(Schedule, PoissonGapsHaveTheRateAsMeanAndACoefficientOfVariationOfOne) {
  // An exponential distribution's standard deviation equals its mean.
  Schedule s(/*rate_per_sec=*/20000, Arrival::kPoisson, /*start_ns=*/1'000'000, /*seed=*/7);
  const GapStats g = Gaps(s, 100000);
  EXPECT_NEAR(g.mean_ns, 50000, 50000 * 0.05);
  EXPECT_NEAR(g.cv, 1.0, 0.05);
}

TEST(Schedule, UniformGapsAreExactAndConnectionsStartAtDifferentPhases) {
  Schedule a(1000, Arrival::kUniform, 5'000'000'000, 1);
  Schedule b(1000, Arrival::kUniform, 5'000'000'000, 2);
  EXPECT_NE(a.next_ns(), b.next_ns());
  for (Schedule* s : {&a, &b}) {
    EXPECT_GE(s->next_ns(), 5'000'000'000u);
    EXPECT_LT(s->next_ns(), 5'001'000'000u);  // within one gap of the start
  }
  const GapStats g = Gaps(a, 10000);
  EXPECT_NEAR(g.mean_ns, 1e6, 1.0);
  EXPECT_LT(g.cv, 1e-6);
  // Gaps summed in doubles: rounding each gap of 333,333,333.3 ns to whole nanoseconds would
  // drift 10 us over 30,000 of them.
  Schedule c(3, Arrival::kUniform, 0, 0);
  for (int i = 0; i < 30000; ++i) c.Advance();
  EXPECT_NEAR(static_cast<double>(c.next_ns()), 1e13, 100.0);
}

TEST(Schedule, SkippingCountsWhatCameDueAndLandsAfterNow) {
  Schedule u(1000, Arrival::kUniform, 0, 0);  // due at 0, 1 ms, 2 ms, ...
  EXPECT_EQ(u.SkipTo(9'500'000), 10u);        // 0 .. 9 ms
  EXPECT_EQ(u.next_ns(), 10'000'000u);
  EXPECT_EQ(u.SkipTo(9'999'999), 0u);
  // Poisson: the counts over many one-second skips average the rate.
  Schedule p(5000, Arrival::kPoisson, 0, 3);
  uint64_t total = 0;
  uint64_t now = 0;
  for (int i = 0; i < 200; ++i) {
    now += 1'000'000'000;
    total += p.SkipTo(now);
    EXPECT_GT(p.next_ns(), now);
  }
  EXPECT_NEAR(static_cast<double>(total) / 200, 5000, 5000 * 0.02);
}

}  // namespace
}  // namespace salvo::workload
