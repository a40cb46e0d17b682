#include "plan/split.h"

#include <numeric>
#include <random>

#include "gtest/gtest.h"

namespace salvo::plan {
namespace {

uint64_t Sum(const std::vector<uint64_t>& v) { return std::accumulate(v.begin(), v.end(), 0ull); }

TEST(SplitEvenly, GivesTheRemainderToTheFirstParts) {
  EXPECT_EQ(SplitEvenly(10, 3), (std::vector<uint64_t>{4, 3, 3}));
  EXPECT_EQ(SplitEvenly(2, 2), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(SplitEvenly(1, 3), (std::vector<uint64_t>{1, 0, 0}));
  EXPECT_EQ(SplitEvenly(0, 2), (std::vector<uint64_t>{0, 0}));
  EXPECT_TRUE(SplitEvenly(5, 0).empty());
}

TEST(SplitByWeight, FollowsTheWeights) {
  EXPECT_EQ(SplitByWeight(10, {1, 1, 2}), (std::vector<uint64_t>{3, 2, 5}));
  EXPECT_EQ(SplitByWeight(100, {3, 1}), (std::vector<uint64_t>{75, 25}));
  EXPECT_EQ(SplitByWeight(7, {0.5, 0.5}), (std::vector<uint64_t>{4, 3}));
}

TEST(SplitByWeight, TotalsAreAlwaysExact) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> weight(0.001, 1000);
  std::uniform_int_distribution<uint64_t> total(0, 1000000);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<double> w(1 + trial % 17);
    for (double& x : w) x = weight(rng);
    const uint64_t t = total(rng);
    const std::vector<uint64_t> shares = SplitByWeight(t, w);
    ASSERT_EQ(shares.size(), w.size());
    ASSERT_EQ(Sum(shares), t);
    // No share is more than one away from its exact value.
    const double wsum = std::accumulate(w.begin(), w.end(), 0.0);
    for (size_t i = 0; i < w.size(); ++i) {
      EXPECT_LT(std::abs(static_cast<double>(shares[i]) - t * w[i] / wsum), 1.0 + 1e-6);
    }
  }
}

}  // namespace
}  // namespace salvo::plan
