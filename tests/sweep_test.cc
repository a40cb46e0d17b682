#include "driver/sweep.h"
#include "output/sweep_output.h"

#include <expat.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/agent_service.h"
#include "controller/grpc_agent_link.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/json.h"
#include "tests/cluster.h"
#include "wire/enums.h"

namespace salvo::controller {
namespace {

v1::SweepPoint Point(uint64_t size, net::SendMode mode, double mb, double cpu, double copied) {
  v1::SweepPoint p;
  p.set_message_size(size);
  p.set_send_mode(wire::ToProto(mode));
  p.set_connections(10);
  p.set_engine(v1::ENGINE_AUTO);
  p.set_workload(v1::WORKLOAD_STREAM_OUT);
  p.set_status(v1::RUN_STATUS_OK);
  p.set_mb_per_sec(mb);
  v1::Totals* t = p.mutable_report()->mutable_totals();
  t->mutable_rates()->set_completions_per_sec(mb * 1000);
  t->set_cpu_ns_per_byte_sent(cpu);
  t->set_zc_copied_share(copied);
  return p;
}

TEST(Crossover, NamesTheSizeFromWhichZeroCopyWins) {
  v1::SweepReport r;
  const uint64_t sizes[] = {1024, 4096, 16384, 65536, 262144};
  const double copy_mb[] = {500, 1500, 2500, 3000, 3100};
  const double zc_mb[] = {100, 900, 2400, 3300, 4000};
  for (int i = 0; i < 5; ++i) {
    *r.add_points() = Point(sizes[i], net::SendMode::kCopy, copy_mb[i], 1.0, 0);
    *r.add_points() = Point(sizes[i], net::SendMode::kZeroCopy, zc_mb[i], i >= 2 ? 0.5 : 2.0, 0);
  }
  const std::vector<std::string> f = driver::FindCrossovers(r);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].find("zerocopy beats copy on throughput from 64KiB up (crossover)"),
            std::string::npos)
      << f[0];
  EXPECT_NE(f[1].find("beats copy on sender CPU per byte from 16KiB up"), std::string::npos)
      << f[1];
}

TEST(Crossover, SaysWhenThereIsNoneAndWhenTheKernelCopied) {
  v1::SweepReport r;
  for (uint64_t size : {1024, 65536}) {
    *r.add_points() = Point(size, net::SendMode::kCopy, 1000, 1.0, 0);
    *r.add_points() = Point(size, net::SendMode::kUringZc, 500, 2.0, 1.0);
  }
  // A win at a small size only, lost again later, is not a crossover.
  *r.add_points() = Point(512, net::SendMode::kCopy, 10, 1.0, 0);
  *r.add_points() = Point(512, net::SendMode::kUringZc, 20, 2.0, 1.0);
  const std::vector<std::string> f = driver::FindCrossovers(r);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_NE(f[0].find("never beats copy on throughput"), std::string::npos) << f[0];
  EXPECT_NE(f[2].find("copied 100% of its zero-copy sends"), std::string::npos) << f[2];
}

TEST(Crossover, AModeThatRanOnAnotherEngineIsNamedWithBoth) {
  v1::SweepReport r;
  for (uint64_t size : {1024, 65536}) {
    v1::SweepPoint copy = Point(size, net::SendMode::kCopy, 1000, 1.0, 0);
    copy.set_engine_used(v1::ENGINE_IO_URING);
    v1::SweepPoint zc = Point(size, net::SendMode::kZeroCopy, 500, 2.0, 1.0);
    zc.set_engine_used(v1::ENGINE_EPOLL);  // auto picks epoll for MSG_ZEROCOPY
    *r.add_points() = copy;
    *r.add_points() = zc;
  }
  const std::vector<std::string> f = driver::FindCrossovers(r);
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f[0].find("zerocopy on epoll against copy on io_uring"), std::string::npos) << f[0];
}

// Counts elements and checks that the document parses as XML.
struct SvgCount {
  std::map<std::string, int> series_paths_per_chart;  // chart index -> paths
  int charts = 0;
  int series_paths = 0;
  std::vector<std::string> names;
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* c = static_cast<SvgCount*>(data);
  const std::string element = name;
  std::map<std::string, std::string> a;
  for (int i = 0; attrs[i] != nullptr; i += 2) a[attrs[i]] = attrs[i + 1];
  if (element == "g" && a["class"] == "chart") ++c->charts;
  if (element == "path" && a["class"] == "series") {
    ++c->series_paths;
    ++c->series_paths_per_chart[absl::StrCat(c->charts)];
    c->names.push_back(a["data-series"]);
  }
}

class Sweep : public testing::Cluster {};

TEST_F(Sweep, RunsEveryPointAndWritesJsonCsvAndSvgThatParseBack) {
  target::TargetServer& target = StartTarget(target::TargetMode::kSink);
  agent::AgentServer& agent = StartAgent();

  driver::SweepConfig s;
  s.base.agents = {agent.address()};
  s.base.target = absl::StrCat("127.0.0.1:", target.port());
  s.base.duration = absl::Milliseconds(400);
  s.base.warmup = absl::Milliseconds(100);
  s.base.interval = absl::Milliseconds(200);
  s.base.threads = 1;
  ASSERT_TRUE(
      driver::ParseSweepLists("1k,16k", "copy,zerocopy", "1,2", "epoll", "stream-out", &s).ok());
  s.repeat = 2;
  ASSERT_TRUE(driver::ValidateSweep(s).ok());
  std::vector<std::string> progress;
  driver::RunHooks hooks;
  hooks.print = [&](const std::string& line) { progress.push_back(line); };
  const v1::SweepReport r =
      driver::ExecuteSweep(s, hooks, controller::GrpcAgentAccess(s.base.security));
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  ASSERT_EQ(r.points_size(), 8);  // 2 sizes x 2 modes x 2 connection counts
  int progress_lines = 0;
  for (const std::string& line : progress) progress_lines += line.rfind("[", 0) == 0;
  EXPECT_EQ(progress_lines, 8);
  EXPECT_NE(progress[0].find("[1/8]"), std::string::npos) << progress[0];
  EXPECT_NE(progress[0].find("left"), std::string::npos) << progress[0];

  // JSON parses back to the same report.
  v1::SweepReport back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(v1::ToJson(r), &back).ok());
  EXPECT_EQ(back.points_size(), 8);
  EXPECT_EQ(back.points(3).mb_per_sec(), r.points(3).mb_per_sec());
  for (const v1::SweepPoint& p : back.points()) {
    EXPECT_GT(p.mb_per_sec(), 0);
    // Two runs each: the point is the median run's, with both runs' spread.
    EXPECT_EQ(p.repeats(), 2u);
    EXPECT_EQ(p.mb_per_sec(), p.mb_per_sec_spread().median());
    EXPECT_LE(p.mb_per_sec_spread().min(), p.mb_per_sec());
    EXPECT_GE(p.mb_per_sec_spread().max(), p.mb_per_sec());
    // The report is the median-throughput run's whole; its completion rate is that run's, which
    // need not be the median completion rate (a run can move more bytes in fewer sends). With
    // two runs it is one of the two ends of the spread.
    const double run_tps = p.report().totals().rates().completions_per_sec();
    EXPECT_TRUE(run_tps == p.completions_per_sec_spread().min() ||
                run_tps == p.completions_per_sec_spread().max())
        << run_tps << " is neither run's rate";
    EXPECT_EQ(p.completions_per_sec_spread().median(), p.completions_per_sec_spread().min());
    EXPECT_EQ(p.engine_used(), v1::ENGINE_EPOLL);
    if (p.send_mode() == v1::SEND_MODE_ZEROCOPY) {
      EXPECT_DOUBLE_EQ(p.report().totals().zc_copied_share(), 1.0);
    }
  }
  bool copied_finding = false;
  for (const std::string& f : r.findings())
    copied_finding |= f.find("copied 100%") != std::string::npos;
  EXPECT_TRUE(copied_finding);

  // CSV: a header and one row per point, with the same numbers.
  const std::vector<std::string> lines =
      absl::StrSplit(output::SweepCsv(r), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 9u);
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (int i = 0; i < 8; ++i) {
    const std::vector<std::string> row = absl::StrSplit(lines[i + 1], ',');
    ASSERT_EQ(row.size(), header.size());
    uint64_t size = 0;
    double mb = 0;
    ASSERT_TRUE(absl::SimpleAtoi(row[column["message_size"]], &size));
    ASSERT_TRUE(absl::SimpleAtod(row[column["mb_per_sec"]], &mb));
    EXPECT_EQ(size, r.points(i).message_size());
    EXPECT_NEAR(mb, r.points(i).mb_per_sec(), 0.001);
    EXPECT_EQ(row[column["send_mode"]], wire::Name(r.points(i).send_mode()));
    double completions = 0;
    ASSERT_TRUE(absl::SimpleAtod(row[column["completions_per_sec"]], &completions));
    EXPECT_DOUBLE_EQ(completions, r.points(i).report().totals().rates().completions_per_sec());
    EXPECT_EQ(row[column["status"]], "ok");
    double low = 0, high = 0;
    ASSERT_TRUE(absl::SimpleAtod(row[column["mb_per_sec_min"]], &low)) << lines[i + 1];
    ASSERT_TRUE(absl::SimpleAtod(row[column["mb_per_sec_max"]], &high));
    EXPECT_LE(low, mb + 0.001);
    EXPECT_GE(high, mb - 0.001);
  }

  // SVG: well-formed XML; one panel per metric (throughput, completions, CPU per byte), each
  // with a path per send mode and connection count, error bars for the repeats, and a caption
  // that says the kernel copied every zero-copy send.
  const std::string svg = output::SweepSvg(r);
  SvgCount count;
  XML_Parser parser = XML_ParserCreate(nullptr);
  XML_SetUserData(parser, &count);
  XML_SetStartElementHandler(parser, OnStart);
  const bool parsed =
      XML_Parse(parser, svg.data(), static_cast<int>(svg.size()), 1) == XML_STATUS_OK;
  const XML_LChar* message = parsed ? nullptr : XML_ErrorString(XML_GetErrorCode(parser));
  const std::string error = message != nullptr ? message : "";
  XML_ParserFree(parser);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(count.charts, 3);
  for (const auto& [chart, paths] : count.series_paths_per_chart) {
    EXPECT_EQ(paths, 4) << "chart " << chart;
  }
  EXPECT_EQ(count.series_paths, 12);
  EXPECT_NE(svg.find("class=\"error-bar\""), std::string::npos);
  EXPECT_NE(svg.find("the kernel copied 100% of zero-copy sends"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"6 3\""), std::string::npos);  // the 2-connection lines
  EXPECT_NE(svg.find("log scale"), std::string::npos);
  EXPECT_NE(svg.find("MB/s"), std::string::npos);
}

TEST(SweepAxes, RejectsBadAxes) {
  driver::SweepConfig s;
  s.base.agents = {"127.0.0.1:7100"};
  s.base.target = "127.0.0.1:7000";
  EXPECT_FALSE(driver::ParseSweepLists("1k,4q", "copy", "1", "auto", "stream-out", &s).ok());
  EXPECT_FALSE(driver::ParseSweepLists("1k", "copy", "0", "auto", "stream-out", &s).ok());
  EXPECT_FALSE(driver::ParseSweepLists("1k", "copy", "1", "auto", "ping", &s).ok());
  const absl::Status mode =
      driver::ParseSweepLists("1k", "copy,telepathy", "1", "auto", "echo", &s);
  EXPECT_EQ(
      mode.message(),
      "--send-modes: unknown send mode 'telepathy' (expected copy, zerocopy, uring-zc or direct)");
  EXPECT_FALSE(driver::ParseSweepLists("1k", "copy", "1", "auto,fast", "echo", &s).ok());
  ASSERT_TRUE(driver::ParseSweepLists("1k", "copy", "1", "auto", "echo", &s).ok());
  EXPECT_TRUE(driver::ValidateSweep(s).ok());
}

}  // namespace
}  // namespace salvo::controller
