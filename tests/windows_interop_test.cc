// The Windows binaries (cross-built with mingw-w64) under wine, against the Linux ones over
// loopback: salvo-load.exe loads a Linux salvo-target, a Linux salvo-load loads
// salvo-target.exe, and each side's byte counts agree with the other's. Wine's sockets are the
// host's, so the bytes are real; its timings are not Windows', so only counts are checked.
//
// Run by scripts/test-windows.sh (ctest -L windows) after it has built the Windows binaries;
// SALVO_WINDOWS_BUILD names their folder.
#include <signal.h>

#include <cstdlib>
#include <deque>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "process/child.h"
#include "salvo/v1/report.pb.h"
#include "tests/report_files.h"
#include "tests/test_util.h"

namespace salvo {
namespace {

using process::Child;
using testing::Binary;
using testing::ReadFile;

std::string WindowsBuild() {
  const char* dir = std::getenv("SALVO_WINDOWS_BUILD");
  return dir != nullptr ? dir : absl::StrCat(SALVO_SOURCE_DIR, "/build-windows");
}

class WindowsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/wine", X_OK) != 0) GTEST_SKIP() << "no wine (scripts/setup.sh)";
    if (::access((WindowsBuild() + "/salvo-load.exe").c_str(), R_OK) != 0) {
      GTEST_SKIP() << "no Windows build in " << WindowsBuild() << " (scripts/test-windows.sh)";
    }
    dir_ = *process::MakeTempDir("salvo-windows-test-");
  }
  void TearDown() override {
    for (Child& c : children_) c.Kill();
    if (!dir_.empty()) testing::Sh("rm -rf " + dir_);
  }
  // A program under wine; Windows sees this machine's / as drive Z:.
  Child Wine(const std::string& exe, std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), WindowsBuild() + "/" + exe);
    absl::StatusOr<Child> c = Child::Spawn("/usr/bin/wine", args, log);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }
  static std::string Z(const std::string& path) { return "Z:" + path; }

  uint16_t WaitForPort(const std::string& file, Child& server) {
    uint32_t port = 0;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          const std::string text(absl::StripAsciiWhitespace(ReadFile(file)));
          return !text.empty() && absl::SimpleAtoi(text, &port) && port > 0 && port < 65536 &&
                 server.Running();
        },
        absl::Seconds(60)))
        << "no port in " << file;
    return static_cast<uint16_t>(port);
  }
  uint16_t StartLinuxTarget(const std::string& mode) {
    absl::StatusOr<process::StartedServer> s = process::StartServer(
        Binary("salvo-target"),
        {"--listen", "127.0.0.1:0", "--mode", mode, "--quiet", "--json-out", dir_ + "/target.json"},
        dir_, absl::StrCat("target", runs_++));
    EXPECT_TRUE(s.ok()) << s.status();
    children_.push_back(std::move(s->child));
    return s->port;
  }
  static v1::TargetTotals Totals(const std::string& path) {
    v1::TargetTotals t;
    EXPECT_EQ(testing::ReadJsonFile(path, &t), absl::OkStatus());
    return t;
  }
  static v1::RunReport Report(const std::string& path) {
    v1::RunReport r;
    EXPECT_EQ(testing::ReadJsonFile(path, &r), absl::OkStatus());
    return r;
  }
  std::string dir_;
  std::deque<Child> children_;
  int runs_ = 0;
};

TEST_F(WindowsInterop, SalvoLoadExeEchoesWithALinuxTargetAndEveryByteIsCountedOnBothSides) {
  for (const char* mode : {"copy", "direct"}) {
    SCOPED_TRACE(mode);
    const uint16_t port = StartLinuxTarget("echo");
    const std::string report_path = absl::StrCat(dir_, "/report-", mode, ".json");
    Child load = Wine(
        "salvo-load.exe",
        {"--target", absl::StrCat("127.0.0.1:", port), "--send-mode", mode, "--connections", "4",
         "--size", "1k", "--duration", "1s", "--warmup", "0", "--verify", "--json", Z(report_path)},
        dir_ + "/load.log");
    ASSERT_EQ(load.Wait(absl::Seconds(120)), 0) << ReadFile(dir_ + "/load.log");
    const std::string log = ReadFile(dir_ + "/load.log");
    EXPECT_TRUE(absl::StrContains(log, absl::StrCat("iocp  ", mode))) << log;
    const v1::RunReport report = Report(report_path);
    EXPECT_EQ(report.status(), v1::RUN_STATUS_OK);
    ASSERT_EQ(report.agents_size(), 1);
    EXPECT_EQ(report.agents(0).agent(), "local");
    ASSERT_EQ(children_.back().Terminate(absl::Seconds(5)), 0);
    testing::ExpectEchoReconciled(report.totals().counters(), Totals(dir_ + "/target.json"), 1024,
                                  4);
  }
}

// Stream-out's delivered bytes are what the peer acknowledged, read from TCP_INFO. Windows 10
// 1703 and later answer SIO_TCP_INFO; wine does not, and there the run is refused with the reason
// instead of reporting every connection as stalled.
TEST_F(WindowsInterop, SalvoLoadExeStreamsOutToALinuxSinkOrSaysWhyItCannotCountDelivery) {
  const uint16_t port = StartLinuxTarget("sink");
  const std::string report_path = dir_ + "/report.json";
  Child load = Wine(
      "salvo-load.exe",
      {"--target", absl::StrCat("127.0.0.1:", port), "--workload", "stream-out", "--connections",
       "2", "--size", "64k", "--duration", "1s", "--warmup", "0", "--json", Z(report_path)},
      dir_ + "/load.log");
  const int code = load.Wait(absl::Seconds(120));
  const std::string log = ReadFile(dir_ + "/load.log");
  ASSERT_EQ(children_.back().Terminate(absl::Seconds(5)), 0);
  const v1::TargetTotals t = Totals(dir_ + "/target.json");
  if (code != 0) {
    EXPECT_EQ(code, 1) << log;
    EXPECT_TRUE(absl::StrContains(log,
                                  "stream-out counts the bytes the peer acknowledged from "
                                  "TCP_INFO, which is not available here"))
        << log;
    EXPECT_EQ(t.counters().bytes_received(), 0u);  // refused before any connection
    return;
  }
  const v1::RunReport report = Report(report_path);
  EXPECT_GT(report.totals().counters().bytes_sent(), 0u);
  EXPECT_EQ(t.counters().bytes_received(), report.totals().counters().bytes_sent());
}

TEST_F(WindowsInterop, ALinuxSalvoLoadEchoesWithSalvoTargetExeInBothSendModes) {
  for (const char* mode : {"copy", "direct"}) {
    SCOPED_TRACE(mode);
    const std::string port_file = absl::StrCat(dir_, "/wt-", mode, ".port");
    const std::string totals_file = absl::StrCat(dir_, "/wt-", mode, ".json");
    Child target = Wine("salvo-target.exe",
                        {"--listen", "127.0.0.1:0", "--mode", "echo", "--send-mode", mode,
                         "--quiet", "--port-file", Z(port_file), "--json-out", Z(totals_file)},
                        dir_ + "/target.log");
    const uint16_t port = WaitForPort(port_file, target);
    ASSERT_NE(port, 0) << ReadFile(dir_ + "/target.log");
    const std::string report_path = dir_ + "/report.json";
    absl::StatusOr<Child> load =
        Child::Spawn(Binary("salvo-load"),
                     {"--target", absl::StrCat("127.0.0.1:", port), "--connections", "4", "--size",
                      "2k", "--duration", "1s", "--warmup", "0", "--verify", "--json", report_path},
                     dir_ + "/load.log");
    ASSERT_TRUE(load.ok());
    ASSERT_EQ(load->Wait(absl::Seconds(60)), 0) << ReadFile(dir_ + "/load.log");
    const v1::RunReport report = Report(report_path);
    // Ctrl-C, as wine delivers SIGINT to a console program: the target writes its totals.
    ::kill(target.pid(), SIGINT);
    ASSERT_EQ(target.Wait(absl::Seconds(30)), 0) << ReadFile(dir_ + "/target.log");
    const std::string target_log = ReadFile(dir_ + "/target.log");
    EXPECT_TRUE(absl::StrContains(target_log, absl::StrCat("(iocp, ", mode, " sends")))
        << target_log;
    testing::ExpectEchoReconciled(report.totals().counters(), Totals(totals_file), 2048, 4);
  }
}

}  // namespace
}  // namespace salvo
