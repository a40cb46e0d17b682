#include "workload/schedule.h"

#include <cmath>
#include <cstdint>
#include <set>
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

// Every connection of a run draws its own arrivals: connections with the same index in
// different workers or agents once shared one sequence, so a 4-connection Poisson run at 4000/s
// was four copies of one 1000/s process, and its total strayed 5% from the rate asked.
TEST(Schedule, EveryConnectionOfEveryAgentDrawsItsOwnArrivals) {
  std::set<uint64_t> seeds;
  for (const char* agent : {"10.0.0.1:7100", "10.0.0.2:7100", "local"}) {
    for (uint32_t index = 0; index < 100; ++index) seeds.insert(ScheduleSeed(agent, index));
  }
  EXPECT_EQ(seeds.size(), 300u);
  EXPECT_EQ(ScheduleSeed("local", 7), ScheduleSeed("local", 7));  // the same run replays

  // The sum of 4 connections at 1000/s each, over 2 s: Poisson with mean 8000 and standard
  // deviation 89 when they are independent; identical sequences would give 4 x one count.
  const auto arrivals = [](uint64_t seed) {
    Schedule s(1000, Arrival::kPoisson, 0, seed);
    std::vector<uint64_t> times;
    while (s.next_ns() < 2'000'000'000ull) {
      times.push_back(s.next_ns());
      s.Advance();
    }
    return times;
  };
  std::vector<std::vector<uint64_t>> four;
  for (const char* agent : {"a:7100", "b:7100"}) {
    for (uint32_t index : {0u, 1u}) four.push_back(arrivals(ScheduleSeed(agent, index)));
  }
  for (size_t i = 0; i < four.size(); ++i) {
    for (size_t j = i + 1; j < four.size(); ++j) EXPECT_NE(four[i], four[j]) << i << " " << j;
  }
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

TEST(RateProfile, StagesRampLinearlyAndTheScheduleFollowsTheirArea) {
  // 0 -> 1,000/s over 2 s, then 1,000/s for 1 s, then down to 0 over 1 s.
  const auto p =
      RateProfile::Stages({{2'000'000'000, 1000}, {1'000'000'000, 1000}, {1'000'000'000, 0}});
  EXPECT_DOUBLE_EQ(p->RateAt(1e9), 500);
  EXPECT_DOUBLE_EQ(p->RateAt(2.5e9), 1000);
  EXPECT_DOUBLE_EQ(p->RateAt(3.5e9), 500);
  EXPECT_DOUBLE_EQ(p->Cumulative(2e9), 1000);  // the ramp's triangle
  EXPECT_DOUBLE_EQ(p->Cumulative(3e9), 2000);
  EXPECT_DOUBLE_EQ(p->Cumulative(10e9), 2500);  // nothing after the rate reached 0
  for (double count : {0.5, 250.0, 1000.0, 1500.0, 2400.0}) {
    EXPECT_NEAR(p->Cumulative(p->TimeFor(count)), count, 1e-6) << count;
  }
  EXPECT_TRUE(std::isinf(p->TimeFor(2501)));
  // A uniform schedule over it sends exactly the area, then nothing more (seed 1: a phase of
  // 0.618, so that no arrival falls on either end).
  Schedule s(p, Arrival::kUniform, 0, 1);
  uint64_t sent = 0;
  while (s.next_ns() != UINT64_MAX) {
    ++sent;
    s.Advance();
  }
  EXPECT_EQ(sent, 2500u);
  // Poisson over the same profile: the count in each second follows the rate's area.
  Schedule q(p, Arrival::kPoisson, 0, 9);
  std::vector<int> per_second(5, 0);
  for (; q.next_ns() != UINT64_MAX; q.Advance()) ++per_second[q.next_ns() / 1'000'000'000];
  EXPECT_NEAR(per_second[0], 250, 50);
  EXPECT_NEAR(per_second[1], 750, 90);
  EXPECT_NEAR(per_second[2], 1000, 100);
  EXPECT_NEAR(per_second[3], 500, 70);
  EXPECT_EQ(per_second[4], 0);
}

TEST(RateProfile, AConstantRateIsTheOldSchedule) {
  Schedule a(RateProfile::Constant(1000), Arrival::kUniform, 7, 3);
  Schedule b(1000, Arrival::kUniform, 7, 3);
  for (int i = 0; i < 100; ++i, a.Advance(), b.Advance()) EXPECT_EQ(a.next_ns(), b.next_ns());
  // A step (a zero-length stage) changes the rate at once.
  const auto step = RateProfile::Stages({{0, 100}, {1'000'000'000, 100}});
  EXPECT_DOUBLE_EQ(step->Cumulative(1e9), 100);
}

}  // namespace
}  // namespace salvo::workload
