#include "plan/policy.h"

#include "gtest/gtest.h"

namespace salvo::plan {
namespace {

TEST(DecideOnLoss, ContinueGoesOnUntilTooFewAgentsRemain) {
  EXPECT_FALSE(DecideOnLoss(LossPolicy::kContinue, 0, 0, "a:1", 3, "gone").stop);
  EXPECT_FALSE(DecideOnLoss(LossPolicy::kContinue, 2, 2, "a:1", 3, "gone").stop);
  const LossDecision d = DecideOnLoss(LossPolicy::kContinue, 2, 1, "a:1", 3, "gone");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "only 1 agent remain, fewer than --min-agents 2");
}

TEST(DecideOnLoss, AbortStopsAtTheFirstLossAndSaysWhy) {
  const LossDecision d = DecideOnLoss(LossPolicy::kAbort, 0, 5, "a:1", 3, "silent for 3 intervals");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason,
            "agent a:1 was lost at interval 3 (silent for 3 intervals); --on-agent-loss abort "
            "stopped the run");
}

TEST(Policy, NamesParseBothWays) {
  EXPECT_EQ(*kLossPolicies.Parse("abort"), LossPolicy::kAbort);
  EXPECT_EQ(kRunStatuses.Name(RunStatus::kPartial), "partial");
  const absl::Status bad = kLossPolicies.Parse("retry").status();
  EXPECT_EQ(bad.message(), "unknown loss policy 'retry' (expected continue or abort)");
}

}  // namespace
}  // namespace salvo::plan
