// salvo-load, the real binary, against the real salvo-target on loopback: its report is
// salvo run's (one agent row, "local"), and its byte counts agree with the target's own.
#include <deque>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "net/socket.h"
#include "process/child.h"
#include "salvo/v1/report.pb.h"
#include "tests/report_files.h"
#include "tests/test_util.h"

namespace salvo {
namespace {

using process::Child;
using testing::Binary;

class SalvoLoad : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = *process::MakeTempDir("salvo-load-test-"); }
  void TearDown() override {
    for (Child& c : children_) c.Kill();
    testing::Sh("rm -rf " + dir_);
  }
  testing::ToolOutput Load(const std::vector<std::string>& args) {
    return testing::RunTool(Binary("salvo-load"), args, dir_, absl::Seconds(60));
  }
  // A salvo-target in `mode` that writes its totals to dir_/target.json when stopped.
  std::string StartTarget(const std::string& mode) {
    absl::StatusOr<process::StartedServer> s = process::StartServer(
        Binary("salvo-target"),
        {"--listen", "127.0.0.1:0", "--mode", mode, "--quiet", "--json-out", dir_ + "/target.json"},
        dir_, absl::StrCat("target", runs_++));
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return "";
    children_.push_back(std::move(s->child));
    return absl::StrCat("127.0.0.1:", s->port);
  }
  v1::TargetTotals StopTarget() {
    EXPECT_EQ(children_.back().Terminate(absl::Seconds(5)), 0);
    v1::TargetTotals totals;
    EXPECT_EQ(testing::ReadJsonFile(dir_ + "/target.json", &totals), absl::OkStatus());
    return totals;
  }
  v1::RunReport Report() {
    v1::RunReport report;
    EXPECT_EQ(testing::ReadJsonFile(dir_ + "/report.json", &report), absl::OkStatus());
    return report;
  }
  std::string dir_;
  std::deque<Child> children_;
  int runs_ = 0;
};

// The layering's promise, checked on the binary: salvo-load is built from the gRPC-free layers
// (run/, driver/, output/, worker/) and loads no gRPC library, only protobuf for its messages.
TEST_F(SalvoLoad, LinksNoGrpcLibrary) {
  const testing::ToolOutput ldd = testing::RunTool("/usr/bin/ldd", {Binary("salvo-load")}, dir_);
  ASSERT_EQ(ldd.code, 0) << ldd.err;
  EXPECT_TRUE(absl::StrContains(ldd.out, "libprotobuf")) << ldd.out;
  EXPECT_FALSE(absl::StrContains(ldd.out, "grpc")) << ldd.out;
  // The controller does, through the same ldd: the check would see gRPC if it were there.
  const testing::ToolOutput salvo = testing::RunTool("/usr/bin/ldd", {Binary("salvo")}, dir_);
  EXPECT_TRUE(absl::StrContains(salvo.out, "libgrpc++")) << salvo.out;
}

TEST_F(SalvoLoad, EchoWithVerifyReconcilesEveryByteWithTheTargetsOwnCount) {
  const std::string target = StartTarget("echo");
  const testing::ToolOutput o =
      Load({"--target", target, "--connections", "6", "--size", "1k", "--duration", "1s",
            "--warmup", "0", "--verify", "--json", dir_ + "/report.json"});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(absl::StrContains(o.out, "status: ok")) << o.out;
  const v1::RunReport report = Report();
  EXPECT_EQ(report.status(), v1::RUN_STATUS_OK);
  ASSERT_EQ(report.agents_size(), 1);
  EXPECT_EQ(report.agents(0).agent(), "local");
  testing::ExpectEchoReconciled(report.totals().counters(), StopTarget(), 1024, 6);
}

TEST_F(SalvoLoad, StreamOutOnEachLinuxEngineMatchesWhatTheSinkRead) {
  for (const char* engine : {"epoll", "io_uring"}) {
    SCOPED_TRACE(engine);
    const std::string target = StartTarget("sink");
    const testing::ToolOutput o = Load({"--target", target, "--workload", "stream-out", "--engine",
                                        engine, "--connections", "3", "--size", "64k", "--duration",
                                        "1s", "--warmup", "0", "--json", dir_ + "/report.json"});
    if (o.code == 2 && absl::StrContains(o.err, "not available")) continue;  // no io_uring
    ASSERT_EQ(o.code, 0) << o.out << o.err;
    const v1::RunReport report = Report();
    const v1::TargetTotals totals = StopTarget();
    EXPECT_GT(report.totals().counters().bytes_sent(), 0u);
    EXPECT_EQ(totals.counters().bytes_received(), report.totals().counters().bytes_sent());
    EXPECT_EQ(totals.counters().bytes_received(), report.totals().counters().bytes_delivered());
  }
}

TEST_F(SalvoLoad, ARefusedTargetFailsWithTheReasonAndMisuseIsOneLine) {
  uint16_t closed;
  {
    net::Fd fd = *net::ListenTcp(*net::ResolveHostPort("127.0.0.1:0", true), {});
    closed = net::LocalAddress(fd.get())->port();
  }
  const testing::ToolOutput refused = Load({"--target", absl::StrCat("127.0.0.1:", closed),
                                            "--duration", "1s", "--connect-timeout", "2s"});
  EXPECT_EQ(refused.code, 1) << refused.out << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "refused")) << refused.err;

  for (const auto& [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--duration", "1s"}, "--target is required"},
           {{"--target", "127.0.0.1:1", "--agents", "127.0.0.1:7100"}, "--agents"},
           {{"--target", "127.0.0.1:1", "--send-mode", "direct"}, "--send-mode direct"}}) {
    const testing::ToolOutput o = Load(args);
    EXPECT_EQ(o.code, 2) << o.out << o.err;
    EXPECT_TRUE(absl::StrContains(o.err, says)) << o.err;
    EXPECT_EQ(std::vector<std::string>(absl::StrSplit(o.err, '\n', absl::SkipEmpty())).size(), 1u)
        << o.err;
  }
}

}  // namespace
}  // namespace salvo
