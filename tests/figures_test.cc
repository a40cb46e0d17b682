// The figure table (metrics/figures.h): names are unique, and every rate is what its definition
// says, computed here independently of the table.
#include "metrics/figures.h"

#include <cmath>

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace salvo::metrics {
namespace {

TEST(Figures, NamesAreUniqueAndEveryFigureSaysWhatItMeans) {
  std::set<std::string> names;
  for (const FigureInfo& f : kCounterInfo) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    EXPECT_GT(std::string(f.meaning).size(), 10u) << f.name;
  }
  for (const RateInfo& r : kRateInfo) {
    EXPECT_TRUE(names.insert(r.figure.name).second) << r.figure.name;
    EXPECT_GE(r.num_counters, 1);
  }
  for (const FigureInfo& f : kTimingInfo) EXPECT_TRUE(names.insert(f.name).second) << f.name;
  EXPECT_EQ(kTimingNames.Name(Timing::kRoundTrip), "round_trip");
  EXPECT_STREQ(Info(Counter::kBytesSent).name, "bytes_sent");
  EXPECT_EQ(Info(Counter::kBytesSent).unit, Unit::kBytes);
}

TEST(Figures, RatesAreSummedCountersOverTheSpan) {
  CounterValues c;
  c[Counter::kSendCalls] = 300;
  c[Counter::kRecvCalls] = 100;
  c[Counter::kMessages] = 141000;
  c[Counter::kBytesSent] = 8'000'000;
  c[Counter::kBytesReceived] = 2'000'000;
  const RateValues r = ComputeRates(c, 4.0);
  EXPECT_DOUBLE_EQ(r[Rate::kCompletionsPerSec], 100.0);
  EXPECT_DOUBLE_EQ(r[Rate::kMessagesPerSec], 35250.0);
  EXPECT_DOUBLE_EQ(r[Rate::kSendCallsPerSec], 75.0);
  EXPECT_DOUBLE_EQ(r[Rate::kRecvCallsPerSec], 25.0);
  EXPECT_DOUBLE_EQ(r[Rate::kMbPerSecSent], 2.0);
  EXPECT_DOUBLE_EQ(r[Rate::kMbPerSecReceived], 0.5);
  // No span, no rate: never a division by zero or a negative span.
  EXPECT_DOUBLE_EQ(ComputeRates(c, 0)[Rate::kMessagesPerSec], 0);
  EXPECT_DOUBLE_EQ(ComputeRates(c, -1)[Rate::kMessagesPerSec], 0);
  // Found by fuzz/report_merge_fuzzer: a denormal span from a hostile report made rates infinite.
  EXPECT_DOUBLE_EQ(ComputeRates(c, 1e-310)[Rate::kMessagesPerSec], 0);
  EXPECT_DOUBLE_EQ(ComputeRates(c, std::nan(""))[Rate::kMessagesPerSec], 0);
  EXPECT_GT(ComputeRates(c, 1e-6)[Rate::kMessagesPerSec], 0);
}

TEST(Figures, DerivedSharesAndCosts) {
  CounterValues c;
  EXPECT_EQ(ZcCopiedShare(c), 0);
  EXPECT_EQ(CpuNsPerByteSent(1.0, c), 0);
  c[Counter::kZcSends] = 4;
  c[Counter::kZcCopied] = 1;
  c[Counter::kBytesSent] = 1'000'000'000;
  EXPECT_DOUBLE_EQ(ZcCopiedShare(c), 0.25);
  EXPECT_DOUBLE_EQ(CpuNsPerByteSent(2.0, c), 2.0);
}

TEST(Figures, CountersThatGoBackwardsGiveZeroNotAWrap) {
  CounterValues before, now;
  before[Counter::kMessages] = 10;
  now[Counter::kMessages] = 4;
  now[Counter::kBytesSent] = 7;
  const CounterValues d = now.Since(before);
  EXPECT_EQ(d[Counter::kMessages], 0u);
  EXPECT_EQ(d[Counter::kBytesSent], 7u);
}

}  // namespace
}  // namespace salvo::metrics
