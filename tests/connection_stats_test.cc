// The per-connection summaries: Jain's index, percentiles and the connections carrying a share
// of the bytes, checked against values computed here by hand; merging is exact.
#include "metrics/connection_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"

namespace salvo::metrics {
namespace {

double ExactJain(const std::vector<uint64_t>& x) {
  double sum = 0, squares = 0;
  for (uint64_t v : x) {
    sum += v;
    squares += static_cast<double>(v) * v;
  }
  return sum * sum / (x.size() * squares);
}

TEST(FairnessStats, JainIsOneWhenEqualAndOneOverNWhenOneCarriesAll) {
  FairnessStats equal, one;
  for (int i = 0; i < 600; ++i) {
    equal.Add(4096);
    one.Add(i == 0 ? 1'000'000 : 0);
  }
  EXPECT_DOUBLE_EQ(equal.Jain(), 1.0);
  EXPECT_NEAR(one.Jain(), 1.0 / 600, 1e-12);
  EXPECT_EQ(one.Starved(), 599u);
  EXPECT_EQ(one.ConnectionsCarrying(0.9), 1u);
  EXPECT_EQ(FairnessStats().Jain(), 0);
}

TEST(FairnessStats, TheNotesReceiverServesSixtyFourOfSixHundred) {
  std::vector<uint64_t> bytes(600, 0);
  for (int i = 0; i < 64; ++i) bytes[i] = 50'000'000 + i * 1000;
  FairnessStats f;
  for (uint64_t b : bytes) f.Add(b);
  EXPECT_NEAR(f.Jain(), ExactJain(bytes), 1e-9);
  EXPECT_NEAR(f.Jain(), 0.107, 0.001);
  EXPECT_EQ(f.Starved(), 536u);
  EXPECT_EQ(f.Percentile(50), 0u);
  // 90% of the bytes took 58 of the 64 served connections (to the histogram's resolution).
  EXPECT_NEAR(f.ConnectionsCarrying(0.9), 58, 1);
  EXPECT_NEAR(f.ShareOfTop(64), 1.0, 0.005);  // bucket midpoints: within 0.4% each
  EXPECT_NEAR(f.ShareOfTop(32), 0.5, 0.01);
}

TEST(FairnessStats, MergingPartsEqualsTheWhole) {
  FairnessStats whole, a, b;
  for (uint64_t i = 1; i <= 1000; ++i) {
    const uint64_t v = i * i * 37;
    whole.Add(v);
    (i % 3 == 0 ? a : b).Add(v);
  }
  a.Merge(b);
  EXPECT_DOUBLE_EQ(a.Jain(), whole.Jain());
  EXPECT_EQ(a.Percentile(90), whole.Percentile(90));
  EXPECT_EQ(a.ConnectionsCarrying(0.9), whole.ConnectionsCarrying(0.9));
  EXPECT_EQ(a.Connections(), 1000u);
}

TEST(TcpHealthStats, SharesAreLimitedTimeOverBusyTime) {
  TcpHealthStats h;
  ConnectionSample s;
  s.tcp_info = true;
  s.busy_us = 1000;
  s.rwnd_limited_us = 990;
  s.zero_window = true;
  s.rtt_us = 50;
  h.Add(s);
  ConnectionSample not_sampled;
  h.Add(not_sampled);  // TCP_INFO not read: not counted
  EXPECT_EQ(h.sampled, 1u);
  EXPECT_EQ(h.zero_window, 1u);
  EXPECT_DOUBLE_EQ(h.RwndLimitedShare(), 0.99);
  EXPECT_DOUBLE_EQ(h.SndbufLimitedShare(), 0);
}

TEST(ConnectionSample, CumulativeFieldsBecomeDifferencesAndStateStaysCurrent) {
  ConnectionSample before, now;
  before.delivered = 100;
  before.retransmits = 2;
  now.delivered = 350;
  now.retransmits = 5;
  now.rtt_us = 80;
  now.zero_window = true;
  const ConnectionSample d = now.Since(before);
  EXPECT_EQ(d.delivered, 250u);
  EXPECT_EQ(d.retransmits, 3u);
  EXPECT_EQ(d.rtt_us, 80u);
  EXPECT_TRUE(d.zero_window);
  AtomicConnectionSample shared;
  now.local_port = 54321;
  now.open = true;
  shared.Store(now);
  const ConnectionSample back = shared.Load();
  EXPECT_EQ(back.local_port, 54321);
  EXPECT_TRUE(back.open && back.zero_window && !back.tcp_info);
  EXPECT_EQ(back.delivered, 350u);
}

}  // namespace
}  // namespace salvo::metrics
