#include <limits>

#include "driver/report.h"
#include "proto/json.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "metrics/connection_stats.h"
#include "metrics/histogram.h"
#include "output/csv_report.h"
#include "output/json_report.h"
#include "output/render.h"
#include "proto/json.h"
#include "wire/figures.h"

namespace salvo::v1 {
// Failure messages print the report a user would have seen.
std::ostream& operator<<(std::ostream& os, const RunReport& r) {
  return os << output::RenderReport(r);
}
}  // namespace salvo::v1

namespace salvo::controller {
namespace {

using metrics::Histogram;
using metrics::Timing;

const v1::LatencySummary& RoundTrip(const wire::TimingList& t) {
  return wire::FindSummary(t, Timing::kRoundTrip);
}

v1::Interval MakeInterval(uint32_t index, double elapsed, uint64_t sends, uint64_t recvs,
                          uint32_t starved = 0) {
  v1::Interval i;
  i.set_index(index);
  i.set_elapsed_s(elapsed);
  i.mutable_counters()->set_send_calls(sends);
  i.mutable_counters()->set_recv_calls(recvs);
  i.mutable_counters()->set_messages(sends);
  i.mutable_counters()->set_bytes_sent(sends * 64);
  // Ten connections; `starved` of them delivered nothing, the others shared the bytes.
  metrics::FairnessStats f;
  for (uint32_t c = 0; c < 10; ++c) f.Add(c < starved ? 0 : sends * 64 / (10 - starved));
  wire::FairnessToProto(f, /*with_parts=*/true, i.mutable_fairness());
  return i;
}

v1::Scenario Spec() {
  v1::Scenario s;
  s.mutable_load()->set_workload(v1::WORKLOAD_ECHO);
  s.mutable_load()->set_interval_ms(1000);
  s.mutable_load()->set_duration_ms(3000);
  return s;
}

driver::AgentOutcome Finished(const std::string& name, const std::vector<uint64_t>& latencies_ns,
                              std::vector<v1::Interval> intervals) {
  driver::AgentOutcome o;
  o.name = name;
  o.connections = 10;
  v1::AgentResult r;
  r.set_agent(name);
  r.set_measured_s(intervals.empty() ? 1 : intervals.back().elapsed_s());
  wire::Timings timings;
  for (uint64_t v : latencies_ns) timings[metrics::Index(Timing::kRoundTrip)].Record(v);
  wire::TimingsToProto(timings, /*with_histograms=*/true, r.mutable_timings());
  // An agent's totals count what its intervals counted (and a message per latency sample).
  uint64_t messages = latencies_ns.size();
  for (const v1::Interval& i : intervals) messages += i.counters().messages();
  r.mutable_counters()->set_messages(messages);
  r.mutable_counters()->set_connections_established(10);
  for (auto& i : intervals) *r.add_intervals() = i;
  o.intervals = std::move(intervals);
  o.result = r;
  return o;
}

TEST(BuildReport, PercentilesComeFromTheMergedHistogramNotFromAveraging) {
  // A fast agent and a slow one: the true p99 of all samples is far from the mean of the two
  // agents' p99s.
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> fast(1 / 20000.0), slow(1 / 900000.0);
  std::vector<uint64_t> a(99000), b(1000), all;
  for (auto& x : a) x = 1000 + static_cast<uint64_t>(fast(rng));
  for (auto& x : b) x = 1000 + static_cast<uint64_t>(slow(rng));
  all.insert(all.end(), a.begin(), a.end());
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  const v1::RunReport r =
      driver::BuildReport(Spec(), {Finished("a", a, {}), Finished("b", b, {})}, {});
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  const v1::LatencySummary& merged = RoundTrip(r.timings());
  EXPECT_EQ(merged.count(), all.size());
  for (auto [p, got] :
       {std::pair{50.0, merged.p50_us()}, {99.0, merged.p99_us()}, {99.9, merged.p999_us()}}) {
    const double exact =
        static_cast<double>(all[static_cast<size_t>(std::ceil(p / 100 * all.size())) - 1]) / 1000;
    EXPECT_NEAR(got, exact, exact * 0.01) << "p" << p;
  }
  const double averaged =
      (RoundTrip(r.agents(0).timings()).p99_us() + RoundTrip(r.agents(1).timings()).p99_us()) / 2;
  EXPECT_GT(std::abs(averaged - merged.p99_us()), 0.2 * merged.p99_us());
  EXPECT_EQ(r.totals().counters().messages(), all.size());
}

TEST(BuildReport, TotalRatesAreTotalCountersOverTheRunsSpanEvenWithALostAgent) {
  // Agent a measured the whole 4 s; agent b was lost after one interval. Summing the agents'
  // own rates (25k + 41k msg/s) would claim 66k msg/s; the run moved 141k messages in 4 s.
  driver::AgentOutcome a = Finished("a:1", {}, {});
  a.result->set_measured_s(4.0);
  a.result->mutable_counters()->set_messages(100000);
  driver::AgentOutcome b;
  b.name = "b:1";
  b.connections = 10;
  b.intervals = {MakeInterval(0, 1.0, 41000, 0)};
  b.lost = true;
  b.error = "silent for 3 intervals";
  const v1::RunReport r = driver::BuildReport(Spec(), {a, b}, {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_PARTIAL);
  EXPECT_EQ(r.totals().counters().messages(), 141000u);
  EXPECT_DOUBLE_EQ(r.totals().measured_s(), 4.0);
  EXPECT_DOUBLE_EQ(r.totals().rates().messages_per_sec(), 141000 / 4.0);
  // Each agent's own row uses its own span.
  EXPECT_DOUBLE_EQ(r.agents(1).rates().messages_per_sec(), 41000.0);
}

TEST(BuildReport, LosingEveryAgentFailsTheRunAndSaysSo) {
  driver::AgentOutcome a;
  a.name = "a:1";
  a.lost = true;
  a.error = "silent for 3 intervals";
  driver::AgentOutcome b = a;
  b.name = "b:1";
  b.intervals = {MakeInterval(0, 1.0, 100, 100)};
  const v1::RunReport r = driver::BuildReport(Spec(), {a, b}, {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_EQ(r.reasons(0), "every agent was lost (all 2)");
  EXPECT_EQ(r.lost_agents_size(), 2);
  // What was measured before is still there, and the report a person reads says it all.
  EXPECT_EQ(r.totals().counters().send_calls(), 100u);
  const std::string text = output::RenderReport(r);
  EXPECT_NE(text.find("status: failed\n  - every agent was lost (all 2)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  - lost: a:1 lost at interval 0"), std::string::npos) << text;
}

TEST(BuildReport, AHistogramOfAnotherLayoutIsRefusedNotMerged) {
  driver::AgentOutcome a = Finished("a:1", {1000, 2000}, {});
  a.result->mutable_timings(0)->mutable_histogram()->set_sub_bucket_bits(5);
  const v1::RunReport r = driver::BuildReport(Spec(), {a, Finished("b:1", {3000}, {})}, {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_NE(r.reasons(0).find("layout"), std::string::npos) << r.reasons(0);
  EXPECT_EQ(RoundTrip(r.timings()).count(), 1u);  // only b's sample
}

TEST(BuildReport, AgentIntervalsKeepPercentilesAndStayUnderTwoKilobytesOfJson) {
  // Two agents whose intervals carry full round-trip histograms, as agents send them: one fast
  // (1-2 us), one slow (1-2 ms). The merged point's percentiles come from both histograms; each
  // agent's series keeps only its summary.
  const auto with_round_trips = [](uint64_t from_ns) {
    v1::Interval i = MakeInterval(0, 1.0, 100, 100);
    wire::Timings t;
    for (uint64_t k = 0; k < 1000; ++k) {
      t[metrics::Index(Timing::kRoundTrip)].Record(from_ns + k * from_ns / 1000);
    }
    wire::TimingsToProto(t, /*with_histograms=*/true, i.mutable_timings());
    return i;
  };
  const v1::RunReport r = driver::BuildReport(
      Spec(),
      {Finished("a", {}, {with_round_trips(1000)}), Finished("b", {}, {with_round_trips(1000000)})},
      {});
  ASSERT_EQ(r.intervals_size(), 1);
  const v1::LatencySummary& merged = RoundTrip(r.intervals(0).timings());
  EXPECT_EQ(merged.count(), 2000u);
  // The median is the fast agent's slowest sample, the 90th percentile one of the slow agent's.
  EXPECT_LT(merged.p50_us(), 10.0);
  EXPECT_GT(merged.p90_us(), 1000.0);
  for (const v1::AgentResult& agent : r.agents()) {
    ASSERT_EQ(agent.intervals_size(), 1);
    const v1::Interval& i = agent.intervals(0);
    EXPECT_EQ(RoundTrip(i.timings()).count(), 1000u);
    for (const v1::TimingHistogram& t : i.timings()) EXPECT_FALSE(t.has_histogram());
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(i, &json).ok());
    EXPECT_LT(json.size(), 2048u) << json;
  }
}

// An interval as agents send it: counters, fairness and a full round-trip histogram.
v1::Interval WithRoundTrips(uint32_t index, uint64_t from_ns) {
  v1::Interval i = MakeInterval(index, index + 1.0, 100 * (index + 1), 100 * (index + 1));
  wire::Timings t;
  for (uint64_t k = 0; k < 1000; ++k) {
    t[metrics::Index(Timing::kRoundTrip)].Record(from_ns + k * from_ns / 1000);
  }
  wire::TimingsToProto(t, /*with_histograms=*/true, i.mutable_timings());
  return i;
}

TEST(BuildReport, IntervalsSummarizedAsTheyAreMergedGiveTheSameReport) {
  // What the driver does during a run (merge each interval across agents, then keep only the
  // agents' summaries of it) must give the report that merging everything at the end gives,
  // including the timings of an agent lost before its result, which come from its intervals.
  driver::AgentOutcome a = Finished(
      "a", {5000}, {WithRoundTrips(0, 1000), WithRoundTrips(1, 2000), WithRoundTrips(2, 3000)});
  driver::AgentOutcome lost;
  lost.name = "b";
  lost.connections = 10;
  lost.lost = true;
  lost.lost_at_interval = 2;
  lost.error = "silent for 5s";
  lost.intervals = {WithRoundTrips(0, 900000), WithRoundTrips(1, 800000)};
  const v1::RunReport whole = driver::BuildReport(Spec(), {a, lost}, {});

  std::vector<driver::AgentOutcome> live = {a, lost};
  std::vector<v1::IntervalPoint> merged;
  for (uint32_t k = 0; k < 2; ++k) {  // interval 2 never had every agent: merged at the end
    merged.push_back(driver::MergeInterval(k, {&live[0].intervals[k], &live[1].intervals[k]}, 1.0));
    for (driver::AgentOutcome& o : live) driver::SummarizeInterval(&o, k);
  }
  for (const driver::AgentOutcome& o : live) {
    for (size_t k = 0; k < 2; ++k) {
      EXPECT_FALSE(o.intervals[k].timings(0).has_histogram());
      EXPECT_FALSE(o.intervals[k].fairness().has_bytes_per_connection());
    }
  }
  const v1::RunReport summarized = driver::BuildReport(Spec(), live, {}, merged);
  EXPECT_EQ(summarized.SerializeAsString(), whole.SerializeAsString()) << summarized;
  ASSERT_EQ(whole.intervals_size(), 3);
  EXPECT_EQ(RoundTrip(whole.agents(1).timings()).count(), 2000u);
  EXPECT_GT(RoundTrip(whole.intervals(1).timings()).p90_us(), 700.0);
  EXPECT_EQ(whole.status(), v1::RUN_STATUS_PARTIAL);
}

TEST(Render, JsonPrintedPieceByPieceParsesBackToTheWholeReport) {
  // ReportToJson prints agents and interval series one element at a time; what it prints must
  // be exactly the report, with each agent interval on a line of its own.
  std::vector<driver::AgentOutcome> agents;
  for (int n = 0; n < 3; ++n) {
    std::vector<v1::Interval> series;
    for (uint32_t k = 0; k < 4; ++k) series.push_back(WithRoundTrips(k, 1000 * (n + 1)));
    agents.push_back(Finished(absl::StrCat("agent", n), {1000, 2000}, series));
  }
  const v1::RunReport r = driver::BuildReport(Spec(), agents, {});
  ASSERT_EQ(r.intervals_size(), 4);
  const std::string json = output::ReportToJson(r);
  v1::RunReport back;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &back);
  ASSERT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << json;
  EXPECT_EQ(back.SerializeAsString(), r.SerializeAsString());
  // One line per agent interval, none longer than 2 KB; the rest stays indented by level.
  size_t interval_lines = 0;
  for (absl::string_view line : absl::StrSplit(json, '\n')) {
    if (absl::StrContains(line, "\"elapsed_s\"") && absl::StrContains(line, "\"counters\"")) {
      ++interval_lines;
      EXPECT_LT(line.size(), 2048u) << line;
    }
  }
  EXPECT_EQ(interval_lines, 3u * 4 + 4) << json;  // the agents' and the merged series
  EXPECT_NE(json.find("\n  {\n   \"agent\": \"agent0\""), std::string::npos) << json;
}

TEST(BuildReport, ConnectionsUpForAWholeRunWithNoMessageCompletedFailTheRun) {
  // An rr response framing that never matches: bytes came and went, nothing completed.
  driver::AgentOutcome a = Finished("a", {}, {});
  a.result->mutable_counters()->set_bytes_received(600);
  v1::Scenario spec = Spec();
  spec.mutable_load()->set_workload(v1::WORKLOAD_RR);
  const v1::RunReport r = driver::BuildReport(spec, {a}, {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.reasons_size(), 1) << r;
  EXPECT_NE(r.reasons(0).find("no message completed in 1.0 s measured (do --response-bytes"),
            std::string::npos)
      << r.reasons(0);
  // A server that sent nothing at all: no framing could have matched, so no framing hint.
  a.result->mutable_counters()->set_bytes_received(0);
  const v1::RunReport silent = driver::BuildReport(spec, {a}, {});
  ASSERT_EQ(silent.reasons_size(), 1) << silent;
  EXPECT_EQ(silent.reasons(0),
            "no message completed in 1.0 s measured (the target sent nothing back)");
}

TEST(BuildReport, IntervalsAlignByIndexAndSumAcrossAgents) {
  const v1::RunReport r =
      driver::BuildReport(Spec(),
                          {Finished("a", {},
                                    {MakeInterval(0, 1.0, 100, 100), MakeInterval(1, 2.0, 200, 200),
                                     MakeInterval(2, 3.0, 300, 300)}),
                           Finished("b", {},
                                    {MakeInterval(0, 1.001, 10, 10), MakeInterval(1, 2.001, 20, 20),
                                     MakeInterval(2, 3.0, 30, 30)})},
                          {});
  ASSERT_EQ(r.intervals_size(), 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(r.intervals(k).index(), static_cast<uint32_t>(k));
    EXPECT_EQ(r.intervals(k).agents_reporting(), 2u);
    EXPECT_EQ(r.intervals(k).counters().send_calls(), 110u * (k + 1));
    EXPECT_NEAR(r.intervals(k).rates().completions_per_sec(), 220.0 * (k + 1), 1e-6);
  }
}

// An interval's length and rates are worked out once, where it is made (the agent's FillInterval,
// the controller's merge); the CSV reads them and works out nothing, so a short final interval
// shows its own rate rather than its counts over a nominal second.
TEST(BuildReport, AShortFinalIntervalCarriesItsOwnLengthAndRatesIntoTheCsv) {
  std::vector<v1::Interval> parts = {MakeInterval(0, 1.0, 100, 100), MakeInterval(1, 1.5, 50, 50)};
  parts[0].set_seconds(1.0);
  parts[0].mutable_rates()->set_completions_per_sec(200);
  parts[1].set_seconds(0.5);
  parts[1].mutable_rates()->set_completions_per_sec(200);
  const v1::RunReport r = driver::BuildReport(Spec(), {Finished("a", {}, parts)}, {});
  ASSERT_EQ(r.intervals_size(), 2);
  EXPECT_DOUBLE_EQ(r.intervals(1).seconds(), 0.5);
  EXPECT_NEAR(r.intervals(1).rates().completions_per_sec(), 200, 1e-9);
  const std::vector<std::string> rows = absl::StrSplit(output::ReportCsv(r), '\n');
  const std::vector<std::string> header = absl::StrSplit(rows[0], ',');
  const auto column = [&header](absl::string_view name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  // Rows: header, then agent "a" and "total" for each interval.
  ASSERT_GE(rows.size(), 5u);
  for (int row : {3, 4}) {
    const std::vector<std::string> cells = absl::StrSplit(rows[row], ',');
    EXPECT_EQ(cells[column("seconds")], "0.5") << rows[row];
    EXPECT_EQ(cells[column("completions_per_sec")], "200") << rows[row];
  }
}

TEST(BuildReport, AnAgentWithNoResultNoErrorAndNotLostIsNeverOk) {
  // Found by fuzz/report_merge_fuzzer: a merge that trusted the driver to mark such agents.
  driver::AgentOutcome a;
  a.name = "a";
  const v1::RunReport r = driver::BuildReport({}, {a}, {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_EQ(r.reasons(0), "agent a ended without sending its result");
}

TEST(BuildReport, AnAgentThatNeverReportedItsResultKeepsItsIntervalsAndFailsTheRun) {
  driver::AgentOutcome lost;
  lost.name = "lost:1";
  lost.connections = 10;
  lost.ready = v1::Ready();
  lost.ready->set_connections_established(10);
  lost.intervals = {MakeInterval(0, 1.0, 50, 50)};
  lost.error = "connection to the agent lost";
  const v1::RunReport r = driver::BuildReport(
      Spec(),
      {Finished("ok:1", {}, {MakeInterval(0, 1.0, 100, 100), MakeInterval(1, 2.0, 100, 100)}),
       lost},
      {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.agents_size(), 2);
  EXPECT_EQ(r.agents(1).counters().send_calls(), 50u);
  EXPECT_EQ(r.agents(1).intervals_size(), 1);
  EXPECT_EQ(r.totals().counters().connections_established(), 20u);
  ASSERT_EQ(r.intervals_size(), 2);
  EXPECT_EQ(r.intervals(0).agents_reporting(), 2u);
  EXPECT_EQ(r.intervals(1).agents_reporting(), 1u);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_NE(r.reasons(0).find("lost:1"), std::string::npos);
}

bool Has(const v1::RunReport& r, const std::string& needle) {
  for (const std::string& d : r.diagnostics()) {
    if (d.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(BuildReport, ConnectionsStarvedForTwoIntervalsAreNamedWithTheirRange) {
  const v1::RunReport r = driver::BuildReport(
      Spec(),
      {Finished("a", {},
                {MakeInterval(0, 1.0, 1000, 1000), MakeInterval(1, 2.0, 1000, 1000, 7),
                 MakeInterval(2, 3.0, 1000, 1000, 7)})},
      {});
  ASSERT_TRUE(Has(r, "starved: 7 of 10 connections delivered nothing from t=1.0 s")) << r;
  EXPECT_TRUE(Has(r, "3 carried 100% (Jain 0.30)"));
  EXPECT_EQ(r.intervals(2).fairness().starved_connections(), 7u);
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK);  // starved, yet the run did what was asked
  // One interval alone is not enough to call it starvation.
  const v1::RunReport once = driver::BuildReport(
      Spec(),
      {Finished("a", {},
                {MakeInterval(0, 1.0, 1000, 1000), MakeInterval(1, 2.0, 1000, 1000, 7),
                 MakeInterval(2, 3.0, 1000, 1000)})},
      {});
  EXPECT_FALSE(Has(once, "starved")) << once;
}

TEST(BuildReport, EveryConnectionStalledAtTheEndFailsTheRun) {
  const v1::RunReport r = driver::BuildReport(
      Spec(),
      {Finished("a", {},
                {MakeInterval(0, 1.0, 1000, 1000), MakeInterval(1, 2.0, 0, 0, 10),
                 MakeInterval(2, 3.0, 0, 0, 10)})},
      {});
  EXPECT_TRUE(Has(r, "stall: all 10 connections delivered nothing from t=1.0 s to t=3.0 s")) << r;
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_GE(r.reasons_size(), 1);
  EXPECT_EQ(r.reasons(0), "every connection stalled at the end: nothing delivered from t=1.0 s");
  // A short final interval is not mistaken for a stall or a collapse.
  const v1::RunReport calm = driver::BuildReport(
      Spec(),
      {Finished("a", {}, {MakeInterval(0, 1.0, 1000, 1000), MakeInterval(1, 1.1, 0, 0, 10)})}, {});
  EXPECT_EQ(calm.diagnostics_size(), 0) << calm;
  EXPECT_EQ(calm.status(), v1::RUN_STATUS_OK);
}

TEST(BuildReport, ConnectionsClosedByTheTargetWhileMeasuredFailTheRun) {
  v1::Interval closed = MakeInterval(1, 2.0, 1000, 1000);
  closed.mutable_counters()->set_closed_by_peer(3);
  const v1::RunReport r = driver::BuildReport(
      Spec(), {Finished("a", {}, {MakeInterval(0, 1.0, 1000, 1000), closed})}, {});
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_NE(r.reasons(0).find("the target closed 3"), std::string::npos) << r.reasons(0);
  EXPECT_NE(r.reasons(0).find("from t=1.0 s"), std::string::npos) << r.reasons(0);
}

TEST(BuildReport, AGeneratorWaitingForACpuIsBlamedInsteadOfTheTarget) {
  std::vector<v1::Interval> intervals = {MakeInterval(0, 1.0, 1000, 1000),
                                         MakeInterval(1, 2.0, 0, 0, 10),
                                         MakeInterval(2, 3.0, 0, 0, 10)};
  for (int k : {1, 2}) {
    v1::WorkerLoad* w = intervals[k].add_workers();
    w->set_worker(1);
    w->set_cpu_share(0.5);
    w->set_runqueue_share(0.34);
  }
  const v1::RunReport r = driver::BuildReport(Spec(), {Finished("a", {}, intervals)}, {});
  EXPECT_TRUE(Has(r, "generator-bound: worker 1 waited for a CPU 34% of t=1.0-3.0 s")) << r;
  EXPECT_FALSE(Has(r, "stall")) << r;
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK);
}

TEST(Render, JsonKeepsProtoFieldNamesAndParsesBack) {
  std::vector<uint64_t> lat(1000, 50000);
  const v1::RunReport r =
      driver::BuildReport(Spec(), {Finished("a", lat, {MakeInterval(0, 1.0, 5, 5)})}, {});
  const std::string json = output::ReportToJson(r);
  for (const char* key :
       {"\"totals\"", "\"bytes_sent\"", "\"bytes_received\"", "\"send_calls\"", "\"recv_calls\"",
        "\"messages\"", "\"completions_per_sec\"", "\"connections_established\"",
        "\"connect_errors\"", "\"verify_errors\"", "\"TIMING_ROUND_TRIP\"", "\"p50_us\"",
        "\"p99_us\"", "\"max_us\"", "\"intervals\"", "\"agents\"", "\"RUN_STATUS_OK\"", "\"spec\"",
        "\"sub_bucket_bits\""}) {
    EXPECT_NE(json.find(key), std::string::npos) << key;
  }
  // The merged histogram carries each bucket's bounds: the 50 us samples lie in their bucket.
  const v1::Histogram& h = r.timings(0).histogram();
  ASSERT_EQ(h.bucket_lower_ns_size(), h.bucket_size());
  ASSERT_EQ(h.bucket_upper_ns_size(), h.bucket_size());
  ASSERT_EQ(h.bucket_size(), 1);
  EXPECT_LE(h.bucket_lower_ns(0), 50000u);
  EXPECT_GT(h.bucket_upper_ns(0), 50000u);
  EXPECT_NE(json.find("\"bucket_lower_ns\""), std::string::npos);
  // What does not apply is absent, not 0: an agent never lost, a zero-copy share in copy mode.
  for (const char* absent :
       {"\"lost_at_interval\"", "\"zc_copied_share\"", "\"messages_per_send\""}) {
    EXPECT_EQ(json.find(absent), std::string::npos) << absent;
  }
  v1::RunReport back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_EQ(back.SerializeAsString(), r.SerializeAsString());
  const std::string text = output::RenderReport(r);
  EXPECT_NE(text.find("total"), std::string::npos);
  EXPECT_NE(text.find("status: ok"), std::string::npos);
  EXPECT_NE(text.find("50.0us"), std::string::npos) << text;
  EXPECT_EQ(text.find("errors:"), std::string::npos) << text;
}

// The message's bytes with maps in key order, so that equal messages compare equal.
std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

TEST(Json, IntegersAreNumbersAndEverythingReadsBackAsProtobufsOwnPrinterWouldHaveIt) {
  v1::RunReport r;
  r.mutable_totals()->mutable_counters()->set_bytes_sent(uint64_t{1} << 52);
  r.mutable_totals()->mutable_rates()->set_mb_per_sec_sent(0.1 + 0.2);
  r.mutable_totals()->set_cpu_ns_per_byte_sent(std::numeric_limits<double>::quiet_NaN());
  r.mutable_totals()->set_zc_copied_share(std::numeric_limits<double>::infinity());
  r.set_started_at("2026-11-30T09:00:00.000Z");
  r.add_reasons("a \"quoted\" reason\twith a tab\n\x01");
  v1::Scenario& spec = *r.mutable_spec();
  spec.mutable_load()->set_request(std::string("PING\r\n\0\xff", 8));
  (*spec.mutable_agent_source_ips())["b:1"] = "127.0.0.3";
  (*spec.mutable_agent_source_ips())["a:1"] = "127.0.0.2";
  spec.mutable_load()->add_stages()->set_rate(1e9);
  v1::IntervalPoint& p = *r.add_intervals();
  p.set_unix_ms(-5);
  v1::TimingHistogram& h = *r.add_timings();
  h.set_timing(v1::TIMING_CONNECT);
  h.mutable_histogram()->add_count(7);
  h.mutable_histogram()->add_count(uint64_t{1} << 40);
  const std::string json = v1::ToJson(r);
  EXPECT_NE(json.find("\"bytes_sent\": 4503599627370496"), std::string::npos) << json;
  EXPECT_NE(json.find("\"unix_ms\": -5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mb_per_sec_sent\": 0.30000000000000004"), std::string::npos) << json;
  EXPECT_NE(json.find("\"cpu_ns_per_byte_sent\": \"NaN\""), std::string::npos) << json;
  EXPECT_LT(json.find("\"a:1\""), json.find("\"b:1\""));  // maps print sorted
  EXPECT_EQ(json.find("\"bytes_sent\": \""), std::string::npos);
  // protobuf's parser reads it back whole, and to what protobuf's own printer's text gives.
  v1::RunReport back, reference;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok()) << json;
  std::string printed;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(r, &printed).ok());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(printed, &reference).ok());
  // NaN != NaN: compare the bytes of the encodings, where the NaNs are the same bits.
  EXPECT_EQ(Deterministic(back), Deterministic(r));
  EXPECT_EQ(Deterministic(back), Deterministic(reference));
  // One line when compact.
  EXPECT_EQ(v1::ToCompactJson(r).find('\n'), std::string::npos);
}

TEST(Render, BitsAsIperf3ShowsThemAndZeroCopyColumnsOnlyWhereThereWereZeroCopySends) {
  v1::RunReport r =
      driver::BuildReport(Spec(), {Finished("a", {50000}, {MakeInterval(0, 1.0, 5, 5)})}, {});
  r.mutable_totals()->mutable_rates()->set_mb_per_sec_sent(3125);  // 25 Gbit/s
  r.mutable_agents(0)->mutable_counters()->set_send_calls(5);
  v1::TimingHistogram* call = r.add_timings();
  call->set_timing(v1::TIMING_SEND_CALL);
  call->mutable_summary()->set_count(5);
  EXPECT_NE(output::RenderReport(r, /*bits=*/true).find("out 25.00 Gbit/s"), std::string::npos)
      << output::RenderReport(r, true);
  EXPECT_NE(output::RenderReport(r).find("out 3125.0 MB/s"), std::string::npos)
      << output::RenderReport(r);
  EXPECT_EQ(output::RenderReport(r).find("zc done"), std::string::npos) << output::RenderReport(r);
  r.mutable_totals()->mutable_counters()->set_zc_sends(5);
  EXPECT_NE(output::RenderReport(r).find("zc done p50"), std::string::npos)
      << output::RenderReport(r);
  // A run that measured less than it was asked to says so in its header.
  r.mutable_spec()->mutable_load()->set_duration_ms(10000);
  r.mutable_totals()->set_measured_s(2.5);
  EXPECT_NE(output::RenderReport(r).find("stopped early: 2.5s of the 10.0s asked"),
            std::string::npos)
      << output::RenderReport(r);
}

TEST(Render, EveryNonZeroErrorCounterIsListedByName) {
  driver::AgentOutcome a = Finished("a:1", {}, {});
  a.result->mutable_counters()->set_verify_errors(3);
  a.result->mutable_counters()->set_connect_errors(2);
  const std::string text = output::RenderReport(driver::BuildReport(Spec(), {a}, {}));
  EXPECT_NE(text.find("errors: connect_errors 2, verify_errors 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("status: failed"), std::string::npos) << text;
}

TEST(BuildReport, StreamInVerifyErrorsNameThePatternNotWhatWasSent) {
  driver::AgentOutcome a = Finished("a:1", {}, {});
  a.result->mutable_counters()->set_verify_errors(3);
  v1::Scenario spec = Spec();
  spec.mutable_load()->set_workload(v1::WORKLOAD_STREAM_IN);
  const v1::RunReport r = driver::BuildReport(spec, {a}, {});
  EXPECT_NE(std::find(r.reasons().begin(), r.reasons().end(),
                      "3 received bytes differ from the pattern a salvo-target source sends "
                      "(--verify needs a salvo-target --mode source)"),
            r.reasons().end())
      << r;
}

}  // namespace
}  // namespace salvo::controller
