// wire/: the one place the core meets protobuf. Every figure of the table has its proto field
// of the same name (and no proto field lacks a figure); every C++ enum maps onto its proto enum
// by name; histograms survive the trip and foreign layouts are refused.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "wire/protocol.h"

namespace salvo::wire {
namespace {

using metrics::Counter;
using metrics::Timing;

TEST(Wire, CountersAndTheProtoListTheSameFigures) {
  const auto* d = v1::Counters::descriptor();
  ASSERT_EQ(d->field_count(), metrics::kNumCounters);
  for (const metrics::FigureInfo& f : metrics::kCounterInfo) {
    EXPECT_NE(d->FindFieldByName(f.name), nullptr) << f.name;
  }
  metrics::CounterValues values;
  for (int i = 0; i < metrics::kNumCounters; ++i) values.at(i) = 1000 + i;
  v1::Counters proto;
  CountersToProto(values, &proto);
  EXPECT_EQ(proto.bytes_sent(), 1000u + metrics::Index(Counter::kBytesSent));
  EXPECT_EQ(proto.send_nobufs(), 1000u + metrics::Index(Counter::kSendNoBufs));
  EXPECT_EQ(CountersFromProto(proto), values);
}

TEST(Wire, RatesAndTheProtoListTheSameFigures) {
  const auto* d = v1::Rates::descriptor();
  ASSERT_EQ(d->field_count(), metrics::kNumRates);
  metrics::CounterValues c;
  c[Counter::kSendCalls] = 10;
  c[Counter::kRecvCalls] = 30;
  v1::Rates proto;
  RatesToProto(metrics::ComputeRates(c, 2.0), &proto);
  EXPECT_DOUBLE_EQ(proto.completions_per_sec(), 20.0);
  EXPECT_DOUBLE_EQ(proto.send_calls_per_sec(), 5.0);
  EXPECT_DOUBLE_EQ(RateFromProto(proto, metrics::Rate::kRecvCallsPerSec), 15.0);
}

// "uring-zc" in the table is SEND_MODE_URING_ZC in the proto, at number value + 1.
template <typename E, size_t N>
void ExpectNamesMatch(const enums::EnumTable<E, N>& table,
                      const google::protobuf::EnumDescriptor* proto, const std::string& prefix) {
  ASSERT_EQ(proto->value_count(), static_cast<int>(N) + 1) << proto->name();
  EXPECT_EQ(proto->FindValueByNumber(0)->name(), prefix + "UNSPECIFIED");
  for (size_t i = 0; i < N; ++i) {
    EXPECT_EQ(static_cast<size_t>(table.entries[i].first), i) << "values must be 0..N-1";
    const std::string want =
        prefix + absl::AsciiStrToUpper(absl::StrReplaceAll(table.entries[i].second, {{"-", "_"}}));
    const auto* value = proto->FindValueByNumber(static_cast<int>(i) + 1);
    ASSERT_NE(value, nullptr);
    EXPECT_EQ(value->name(), want);
  }
}

TEST(Wire, EveryEnumMapsOntoItsProtoByName) {
  ExpectNamesMatch(net::kEngineKinds, v1::Engine_descriptor(), "ENGINE_");
  ExpectNamesMatch(net::kSendModes, v1::SendMode_descriptor(), "SEND_MODE_");
  ExpectNamesMatch(workload::kKinds, v1::Workload_descriptor(), "WORKLOAD_");
  ExpectNamesMatch(workload::kArrivals, v1::Arrival_descriptor(), "ARRIVAL_");
  ExpectNamesMatch(workload::kCloseModes, v1::CloseMode_descriptor(), "CLOSE_MODE_");
  ExpectNamesMatch(plan::kLossPolicies, v1::LossPolicy_descriptor(), "LOSS_POLICY_");
  ExpectNamesMatch(plan::kRunStatuses, v1::RunStatus_descriptor(), "RUN_STATUS_");
  ExpectNamesMatch(metrics::kTimingNames, v1::Timing_descriptor(), "TIMING_");
  EXPECT_EQ(ToProto(net::SendMode::kUringZc), v1::SEND_MODE_URING_ZC);
  EXPECT_EQ(*FromProto(v1::ENGINE_EPOLL), net::EngineKind::kEpoll);
  EXPECT_FALSE(FromProto(v1::ENGINE_UNSPECIFIED).ok());
  EXPECT_FALSE(FromProto(static_cast<v1::Engine>(42)).ok());
  EXPECT_EQ(Name(v1::RUN_STATUS_PARTIAL), "partial");
  EXPECT_EQ(Name(static_cast<v1::RunStatus>(9)), "-");
}

TEST(Wire, HistogramsRoundTripAndForeignLayoutsAreRefused) {
  metrics::Histogram h;
  for (uint64_t v = 1000; v < 5'000'000; v = v * 11 / 10) h.Record(v);
  v1::Histogram proto;
  HistogramToProto(h, &proto);
  EXPECT_EQ(proto.sub_bucket_bits(),
            static_cast<uint32_t>(metrics::HistogramLayout::kSubBucketBits));
  absl::StatusOr<metrics::Histogram> back = HistogramFromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->count(), h.count());
  EXPECT_EQ(back->Percentile(99), h.Percentile(99));

  v1::Histogram foreign = proto;
  foreign.set_sub_bucket_bits(5);
  absl::StatusOr<metrics::Histogram> refused = HistogramFromProto(foreign);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("layout"), std::string::npos);
  v1::Histogram mismatched = proto;
  mismatched.add_bucket(3);
  EXPECT_FALSE(HistogramFromProto(mismatched).ok());
  // An absent histogram is an empty one.
  EXPECT_EQ(HistogramFromProto(v1::Histogram())->count(), 0u);
}

TEST(Wire, OnlyTimingsWithSamplesTravelAndTheyMergeBack) {
  Timings t;
  t[metrics::Index(Timing::kSendCall)].Record(5000);
  TimingList list;
  TimingsToProto(t, /*with_histograms=*/true, &list);
  ASSERT_EQ(list.size(), 1);
  EXPECT_EQ(list[0].timing(), v1::TIMING_SEND_CALL);
  EXPECT_EQ(FindSummary(list, Timing::kSendCall).count(), 1u);
  EXPECT_EQ(FindSummary(list, Timing::kRoundTrip).count(), 0u);
  *list.Add() = list[0];
  absl::StatusOr<Timings> back = TimingsFromProto(list);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[metrics::Index(Timing::kSendCall)].count(), 2u);
  list[0].set_timing(static_cast<v1::Timing>(77));
  EXPECT_FALSE(TimingsFromProto(list).ok());
}

TEST(Wire, FairnessAndTcpHealthTravelWithTheirMergeableParts) {
  metrics::FairnessStats f;
  for (uint64_t b : {0, 0, 4096, 8192, 1 << 20}) f.Add(b);
  v1::Fairness proto;
  FairnessToProto(f, /*with_parts=*/true, &proto);
  EXPECT_EQ(proto.connections(), 5u);
  EXPECT_EQ(proto.starved_connections(), 2u);
  EXPECT_DOUBLE_EQ(proto.jain(), f.Jain());
  absl::StatusOr<metrics::FairnessStats> back = FairnessFromProto(proto);
  ASSERT_TRUE(back.ok());
  EXPECT_DOUBLE_EQ(back->Jain(), f.Jain());
  EXPECT_EQ(back->Starved(), 2u);
  // Without the parts the figures stay, and nothing can be merged from them.
  FairnessToProto(f, /*with_parts=*/false, &proto);
  EXPECT_FALSE(proto.has_bytes_per_connection());
  EXPECT_EQ(FairnessFromProto(proto)->Connections(), 0u);

  metrics::TcpHealthStats h;
  metrics::ConnectionSample s;
  s.tcp_info = true;
  s.busy_us = 100;
  s.sndbuf_limited_us = 25;
  s.rtt_us = 40;
  h.Add(s);
  v1::TcpHealth tcp;
  TcpHealthToProto(h, /*with_parts=*/true, &tcp);
  EXPECT_DOUBLE_EQ(tcp.sndbuf_limited_share(), 0.25);
  absl::StatusOr<metrics::TcpHealthStats> h2 = TcpHealthFromProto(tcp);
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->sampled, 1u);
  EXPECT_EQ(h2->rtt_us.count(), 1u);
}

TEST(Wire, AnotherMajorProtocolIsRefusedInOneLine) {
  EXPECT_TRUE(CheckProtocol(kProtocolMajor, "a:1").ok());
  const absl::Status old = CheckProtocol(0, "a:1");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(std::string(old.message()).find('\n'), std::string::npos);
  EXPECT_NE(std::string(old.message()).find("speaks control protocol 1"), std::string::npos);
}

}  // namespace
}  // namespace salvo::wire
