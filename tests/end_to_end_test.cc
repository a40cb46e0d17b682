// The three real binaries, as a user runs them, on loopback.
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>

#include <algorithm>
#include <deque>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "net/socket.h"
#include "process/child.h"
#include "proto/json.h"
#include "salvo/v1/report.pb.h"
#include "tests/report_files.h"
#include "tests/test_util.h"
#include "wire/figures.h"

namespace salvo {
namespace {

using process::Child;
using testing::CountEstablishedTo;
using testing::ReadFile;
using testing::WaitFor;

using testing::Binary;

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

class EndToEnd : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = *process::MakeTempDir("salvo-e2e-"); }
  void TearDown() override {
    for (Child& c : children_) c.Kill();
    std::system(absl::StrCat("rm -rf ", dir_).c_str());
  }

  // Runs a command to completion (bounded) and captures its output.
  Output RunTool(const std::string& binary, const std::vector<std::string>& args,
                 absl::Duration timeout = absl::Seconds(60), const std::string& env_tmp = "") {
    const std::string tag = absl::StrCat(runs_++);
    const std::string out_path = absl::StrCat(dir_, "/out", tag),
                      err_path = absl::StrCat(dir_, "/err", tag);
    absl::StatusOr<Child> c = Child::Spawn(binary, args, out_path, err_path);
    EXPECT_TRUE(c.ok()) << c.status();
    Output o;
    o.code = c->Wait(timeout);
    if (o.code == -1) c->Kill();
    o.out = ReadFile(out_path);
    o.err = ReadFile(err_path);
    return o;
  }

  // Starts a long-running binary that writes its port to a file; returns the port.
  uint16_t StartServer(const std::string& binary, std::vector<std::string> args) {
    absl::StatusOr<process::StartedServer> s =
        process::StartServer(binary, std::move(args), dir_, absl::StrCat("server", runs_++));
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return 0;
    children_.push_back(std::move(s->child));
    return s->port;
  }

  uint16_t StartTarget(const std::string& mode, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--mode", mode, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return StartServer(Binary("salvo-target"), args);
  }
  std::string StartAgent() {
    uint16_t port = StartServer(Binary("salvo-agent"), {"--listen", "127.0.0.1:0"});
    return absl::StrCat("127.0.0.1:", port);
  }
  std::string dir_;
  std::deque<Child> children_;  // a deque keeps references to earlier children valid
  int runs_ = 0;
};

void ExpectOneLineError(const Output& o, int code, const std::string& needle) {
  EXPECT_EQ(o.code, code) << o.out << o.err;
  EXPECT_TRUE(absl::StrContains(o.err, needle)) << o.err;
  const std::vector<std::string> lines = absl::StrSplit(o.err, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 1u) << o.err;
}

TEST_F(EndToEnd, DemoRunsAndLeavesNoProcessBehind) {
  const Output o = RunTool(Binary("salvo"), {"demo", "--duration", "2s"}, absl::Seconds(60));
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(absl::StrContains(o.out, "status: ok")) << o.out;
  EXPECT_TRUE(absl::StrContains(o.out, "total (merged)")) << o.out;
  EXPECT_TRUE(absl::StrContains(o.out, "p99")) << o.out;
  // The demo's target and agents listened on the ports in its banner; nothing is left there.
  std::vector<uint16_t> ports;
  for (absl::string_view piece : absl::StrSplit(o.out.substr(0, o.out.find('\n')), "127.0.0.1:")) {
    uint32_t port = 0;
    if (absl::SimpleAtoi(piece.substr(0, piece.find_first_not_of("0123456789")), &port)) {
      ports.push_back(static_cast<uint16_t>(port));
    }
  }
  ASSERT_EQ(ports.size(), 3u) << o.out;
  const std::string listening = ReadFile("/proc/net/tcp");
  for (uint16_t p : ports) {
    char hex[8];
    snprintf(hex, sizeof(hex), ":%04X", p);
    EXPECT_FALSE(absl::StrContains(listening, absl::StrCat("0100007F", hex, " 00000000:0000 0A")))
        << "port " << p << " still listening";
  }
}

TEST_F(EndToEnd, StreamOutThroughRealBinariesMatchesTheTargetsOwnCount) {
  const std::string target_json = absl::StrCat(dir_, "/target.json");
  const uint16_t target = StartTarget("sink", {"--json-out", target_json, "--threads", "2"});
  Child& target_process = children_.back();
  const std::string a1 = StartAgent(), a2 = StartAgent();
  const std::string report_json = absl::StrCat(dir_, "/report.json");
  const Output o =
      RunTool(Binary("salvo"),
              {"run", "--agents", absl::StrCat(a1, ",", a2), "--target",
               absl::StrCat("127.0.0.1:", target), "--workload", "stream-out", "--connections", "4",
               "--size", "128k", "--duration", "2", "--warmup", "0", "--json", report_json});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  v1::RunReport report;
  ASSERT_EQ(testing::ReadJsonFile(report_json, &report), absl::OkStatus());
  EXPECT_EQ(report.status(), v1::RUN_STATUS_OK);
  ASSERT_EQ(report.agents_size(), 2);
  const v1::Counters& sent = report.totals().counters();
  EXPECT_EQ(sent.bytes_sent(),
            report.agents(0).counters().bytes_sent() + report.agents(1).counters().bytes_sent());
  EXPECT_GT(sent.bytes_sent(), 0u);
  EXPECT_EQ(report.intervals_size(), 2);

  ASSERT_EQ(target_process.Terminate(absl::Seconds(5)), 0);
  v1::TargetTotals totals;
  ASSERT_EQ(testing::ReadJsonFile(target_json, &totals), absl::OkStatus());
  EXPECT_EQ(totals.counters().bytes_received(), sent.bytes_sent());
  EXPECT_EQ(totals.counters().connections_established(), 4u);
  EXPECT_GT(totals.counters().recv_calls(), 0u);
  EXPECT_EQ(totals.counters().bytes_sent(), 0u);
}

TEST_F(EndToEnd, JsonOnStandardOutputAndTheIntervalCsvAddUpToTheSameRun) {
  const uint16_t target = StartTarget("echo");
  const std::string a1 = StartAgent(), a2 = StartAgent();
  const std::string csv_path = absl::StrCat(dir_, "/run.csv");
  const std::string hgrm_path = absl::StrCat(dir_, "/run.hgrm");
  const absl::Time before = absl::Now();
  const Output o =
      RunTool(Binary("salvo"), {"run", "--agents", absl::StrCat(a1, ",", a2), "--target",
                                absl::StrCat("127.0.0.1:", target), "--connections", "4",
                                "--duration", "2", "--warmup", "500ms", "--interval", "500ms",
                                "--json", "-", "--csv", csv_path, "--latency-hgrm", hgrm_path});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  // Standard output is the JSON alone; the report a person reads went to standard error.
  v1::RunReport r;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(o.out, &r).ok()) << o.out;
  EXPECT_NE(o.err.find("status: ok"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("\"bytes_sent\": "), std::string::npos);
  EXPECT_EQ(o.out.find("\"bytes_sent\": \""), std::string::npos) << "counters must be numbers";
  // In time: started_at is this run's start, and each interval ends 500 ms after the last.
  absl::Time started;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, r.started_at(), &started, &error))
      << r.started_at() << ": " << error;
  EXPECT_GE(started, before - absl::Seconds(1));
  EXPECT_LE(started, absl::Now());
  ASSERT_EQ(r.intervals_size(), 4);
  for (int i = 0; i < r.intervals_size(); ++i) {
    EXPECT_EQ(r.intervals(i).unix_ms(),
              absl::ToUnixMillis(started + absl::Milliseconds(500) +
                                 absl::Seconds(r.intervals(i).elapsed_s())));
    EXPECT_EQ(r.agents(0).intervals(i).unix_ms() / 100, r.intervals(i).unix_ms() / 100);
  }
  // The CSV: a header, then per interval a row per agent and a total row; the agents' rows sum
  // to the total row, and the total rows to the JSON's interval series.
  std::vector<std::string> lines = absl::StrSplit(ReadFile(csv_path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + 4 * 3) << ReadFile(csv_path);
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  const auto column = [&](absl::string_view name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (const char* name : {"unix_ms", "agent", "messages", "bytes_sent", "messages_per_sec",
                           "round_trip_p99_us", "round_trip_max_us"}) {
    ASSERT_LT(column(name), header.size()) << name;
  }
  uint64_t agents_sum = 0, totals_sum = 0, json_sum = 0;
  for (size_t l = 1; l < lines.size(); ++l) {
    const std::vector<std::string> row = absl::StrSplit(lines[l], ',');
    ASSERT_EQ(row.size(), header.size()) << lines[l];
    uint64_t messages = 0;
    ASSERT_TRUE(absl::SimpleAtoi(row[column("messages")], &messages)) << lines[l];
    (row[column("agent")] == "total" ? totals_sum : agents_sum) += messages;
    if (row[column("agent")] == "total") {
      const int k = static_cast<int>((l - 1) / 3);
      EXPECT_EQ(row[column("unix_ms")], absl::StrCat(r.intervals(k).unix_ms()));
      double p99 = 0;
      ASSERT_TRUE(absl::SimpleAtod(row[column("round_trip_p99_us")], &p99));
      EXPECT_DOUBLE_EQ(
          p99, wire::FindSummary(r.intervals(k).timings(), metrics::Timing::kRoundTrip).p99_us());
    }
  }
  for (const v1::IntervalPoint& p : r.intervals()) json_sum += p.counters().messages();
  EXPECT_GT(totals_sum, 0u);
  EXPECT_EQ(agents_sum, totals_sum);
  EXPECT_EQ(totals_sum, json_sum);
  // The run's totals also count what completed in the drain after the last interval.
  EXPECT_GE(r.totals().counters().messages(), totals_sum);

  // What it ran on, for the controller and each agent, checked against this machine.
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  for (const v1::Environment* e : {&r.environment(), &r.agents(0).environment()}) {
    EXPECT_EQ(e->kernel(), u.release);
    EXPECT_EQ(e->cpus(), std::thread::hardware_concurrency());
    EXPECT_EQ(e->tcp_rmem(),
              absl::StrJoin(absl::StrSplit(ReadFile("/proc/sys/net/ipv4/tcp_rmem"),
                                           absl::ByAnyChar(" \t\n"), absl::SkipEmpty()),
                            " "));
    EXPECT_EQ(e->congestion_control(),
              absl::StripAsciiWhitespace(ReadFile("/proc/sys/net/ipv4/tcp_congestion_control")));
    EXPECT_EQ(e->salvo_version(), SALVO_VERSION);
    EXPECT_FALSE(e->build_commit().empty());
  }
  EXPECT_NE(r.environment().command_line().find("--csv " + csv_path), std::string::npos)
      << r.environment().command_line();
  EXPECT_NE(r.agents(0).environment().command_line().find("salvo-agent"), std::string::npos);
  // The merged round trips in HdrHistogram's format: its last row counts every one.
  const std::vector<std::string> hgrm =
      absl::StrSplit(ReadFile(hgrm_path), '\n', absl::SkipEmpty());
  ASSERT_GT(hgrm.size(), 5u);
  const std::vector<std::string> last =
      absl::StrSplit(hgrm[hgrm.size() - 4], ' ', absl::SkipEmpty());
  ASSERT_EQ(last.size(), 3u) << hgrm[hgrm.size() - 4];
  EXPECT_EQ(last[1], "1.000000000000");
  EXPECT_EQ(last[2],
            absl::StrCat(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).count()));
}

TEST_F(EndToEnd, APrintedScenarioReplaysToTheSameSpecWithFlagsOnTop) {
  const uint16_t target = StartTarget("echo");
  const std::string agent = StartAgent();
  const std::string scenario = absl::StrCat(dir_, "/scenario.json");
  const Output printed = RunTool(
      Binary("salvo"), {"run", "--agents", agent, "--target", absl::StrCat("127.0.0.1:", target),
                        "--connections", "3", "--size", "100", "--rate", "3000", "--arrival",
                        "poisson", "--duration", "1", "--warmup", "0", "--print-scenario"});
  ASSERT_EQ(printed.code, 0) << printed.err;
  v1::Scenario spec;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(printed.out, &spec).ok()) << printed.out;
  EXPECT_EQ(spec.load().rate(), 3000);
  EXPECT_EQ(spec.load().arrival(), v1::ARRIVAL_POISSON);
  { std::ofstream(scenario) << printed.out; }

  // Replayed as it is, then with a flag beside it: the flag wins, the rest is the file's.
  const std::string report_json = absl::StrCat(dir_, "/report.json");
  Output o = RunTool(Binary("salvo"), {"run", "--scenario", scenario, "--json", report_json});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  v1::RunReport report;
  ASSERT_EQ(testing::ReadJsonFile(report_json, &report), absl::OkStatus());
  EXPECT_EQ(report.spec().SerializeAsString(), spec.SerializeAsString());
  EXPECT_GT(report.totals().counters().messages_due(), 0u);

  o = RunTool(Binary("salvo"),
              {"run", "--scenario", scenario, "--size", "200", "--json", report_json});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  ASSERT_EQ(testing::ReadJsonFile(report_json, &report), absl::OkStatus());
  v1::Scenario expected = spec;
  expected.mutable_load()->set_message_size(200);
  EXPECT_EQ(report.spec().SerializeAsString(), expected.SerializeAsString());

  // A report's "spec" is a scenario too (jq .spec report.json), though the whole report is not.
  const std::string from_report = absl::StrCat(dir_, "/from-report.json");
  { std::ofstream(from_report) << v1::ToJson(report.spec()); }
  o = RunTool(Binary("salvo"), {"run", "--scenario", from_report, "--print-scenario"});
  ASSERT_EQ(o.code, 0) << o.err;
  v1::Scenario again;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(o.out, &again).ok()) << o.out;
  EXPECT_EQ(again.SerializeAsString(), expected.SerializeAsString());
  ExpectOneLineError(RunTool(Binary("salvo"), {"run", "--scenario", report_json}), 2,
                     "is not a run spec");
}

TEST_F(EndToEnd, EveryBinaryNamesItsVersionAndBuildAndSalvoExplainsItsCommands) {
  for (const char* binary : {"salvo", "salvo-agent", "salvo-target"}) {
    const Output o = RunTool(Binary(binary), {"--version"});
    EXPECT_EQ(o.code, 0) << binary << ": " << o.err;
    EXPECT_TRUE(absl::StartsWith(o.out, absl::StrCat("salvo ", SALVO_VERSION))) << o.out;
    EXPECT_EQ(o.out.back(), '\n');
    EXPECT_TRUE(o.err.empty()) << o.err;
  }
  // Built from a git checkout (as the test suite is), the commit is named.
  EXPECT_NE(RunTool(Binary("salvo"), {"--version"}).out.find("(commit "), std::string::npos);
  Output help = RunTool(Binary("salvo"), {"help", "run"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--workload"), std::string::npos) << help.out;
  help = RunTool(Binary("salvo"), {"help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("sweep"), std::string::npos) << help.out;
  ExpectOneLineError(RunTool(Binary("salvo"), {"bogus"}), 2,
                     "unknown command 'bogus' (commands: run, sweep, agents, deploy, demo, help)");
  ExpectOneLineError(RunTool(Binary("salvo"), {"help", "bogus"}), 2, "unknown command 'bogus'");
}

TEST_F(EndToEnd, InstallPutsBinariesUnitAndDocsUnderThePrefixAndDestdir) {
  const std::string prefix = dir_ + "/usr";
  Output o = RunTool("/usr/bin/cmake", {"--install", SALVO_BINARY_DIR, "--prefix", prefix});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  for (const char* binary : {"salvo", "salvo-agent", "salvo-target"}) {
    const Output v = RunTool(absl::StrCat(prefix, "/bin/", binary), {"--version"});
    EXPECT_EQ(v.code, 0) << binary;
    EXPECT_TRUE(absl::StartsWith(v.out, "salvo ")) << v.out;
  }
  const std::string unit = ReadFile(prefix + "/lib/systemd/system/salvo-agent.service");
  EXPECT_NE(unit.find("ExecStart=" + prefix + "/bin/salvo-agent "), std::string::npos) << unit;
  EXPECT_FALSE(ReadFile(prefix + "/share/doc/salvo/user-guide.md").empty());
  for (const char* page : {"salvo", "salvo-agent", "salvo-target"}) {
    // help2man's page: the program's own help, and for salvo each command's as a section.
    const Output man = RunTool(
        "/bin/sh", {"-c", absl::StrCat("zcat ", prefix, "/share/man/man1/", page, ".1.gz")});
    EXPECT_EQ(man.code, 0) << page;
    EXPECT_TRUE(absl::StrContains(man.out, ".SH OPTIONS")) << page << man.out;
  }
  const Output salvo_man =
      RunTool("/bin/sh", {"-c", absl::StrCat("zcat ", prefix, "/share/man/man1/salvo.1.gz")});
  EXPECT_TRUE(absl::StrContains(salvo_man.out, "COMMAND: SALVO DEPLOY")) << salvo_man.out;
  EXPECT_TRUE(absl::StrContains(salvo_man.out, "\\-\\-package")) << salvo_man.out;
  // Outside /usr, the options file goes under the prefix, and a second install keeps an edit.
  EXPECT_TRUE(
      absl::StrContains(ReadFile(prefix + "/etc/default/salvo-agent"), "SALVO_AGENT_ARGS="));
  std::ofstream(prefix + "/etc/default/salvo-agent")
      << "SALVO_AGENT_ARGS=\"--listen 0.0.0.0:7100\"\n";
  ASSERT_EQ(RunTool("/usr/bin/cmake", {"--install", SALVO_BINARY_DIR, "--prefix", prefix}).code, 0);
  EXPECT_EQ(ReadFile(prefix + "/etc/default/salvo-agent"),
            "SALVO_AGENT_ARGS=\"--listen 0.0.0.0:7100\"\n");
  // DESTDIR stages the same tree under another root, with the paths inside still the prefix's.
  const std::string stage = dir_ + "/stage";
  o = RunTool("/usr/bin/env", {"DESTDIR=" + stage, "/usr/bin/cmake", "--install", SALVO_BINARY_DIR,
                               "--prefix", "/usr"});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(::access((stage + "/usr/bin/salvo").c_str(), X_OK), 0);
  EXPECT_NE(ReadFile(stage + "/usr/lib/systemd/system/salvo-agent.service")
                .find("ExecStart=/usr/bin/salvo-agent "),
            std::string::npos);
  // With the prefix /usr, configuration goes to /etc (under DESTDIR), as Debian has it.
  EXPECT_FALSE(ReadFile(stage + "/etc/default/salvo-agent").empty());
  EXPECT_EQ(::access((stage + "/usr/share/man/man1/salvo-agent.1.gz").c_str(), R_OK), 0);
}

TEST_F(EndToEnd, UsageErrorsAreOneLineWithExitCodeTwo) {
  ExpectOneLineError(RunTool(Binary("salvo"), {"run", "--agents", "127.0.0.1:7100", "--target",
                                               "127.0.0.1:7000", "--bogus"}),
                     2, "--bogus");
  ExpectOneLineError(RunTool(Binary("salvo"), {"run", "--target", "127.0.0.1:7000"}), 2,
                     "--agents is required");
  ExpectOneLineError(RunTool(Binary("salvo"), {}), 2, "subcommand");
  const std::vector<std::string> base = {"run", "--agents", "127.0.0.1:7100", "--target",
                                         "127.0.0.1:7000"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--size", "12q"})), 2, "invalid size '12q'");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--duration", "ten"})), 2,
                     "invalid duration 'ten'");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--workload", "ping"})), 2, "ping");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--connections", "0"})), 2, "--connections");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--size", "0"})), 2, "--size");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--workload", "rr"})), 2,
                     "--workload rr needs --request-file");
  ExpectOneLineError(RunTool(Binary("salvo"),
                             with({"--workload", "rr", "--request-file", "/nonexistent/request"})),
                     2, "--request-file: cannot read /nonexistent/request");
  // Files that are not files (issue 22): a directory, a device that never ends, one too large.
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--workload", "rr", "--request-file", "/tmp"})),
                     2, "--request-file: /tmp is a directory, not a file");
  ExpectOneLineError(
      RunTool(Binary("salvo"), with({"--workload", "rr", "--request-file", "/dev/zero"})), 2,
      "--request-file: /dev/zero is a device, not a file");
  ExpectOneLineError(RunTool(Binary("salvo-load"), {"--target", "127.0.0.1:9", "--workload", "rr",
                                                    "--request-file", "/tmp"}),
                     2, "is a directory, not a file");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--scenario", "/dev/zero"})), 2,
                     "--scenario: /dev/zero is a device, not a file");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--scenario", "/tmp"})), 2,
                     "--scenario: /tmp is a directory, not a file");
  {
    const std::string big = dir_ + "/big-request";
    std::ofstream(big) << std::string((1 << 20) + 1, 'x');
    ExpectOneLineError(RunTool(Binary("salvo"), with({"--workload", "rr", "--request-file", big,
                                                      "--response-bytes", "4"})),
                       2, "is larger than 1048576 bytes");
  }
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--response-until", "\\r\\n"})), 2,
                     "are for --workload rr");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--rate", "1000", "--workload", "stream-in"})),
                     2, "stream-in sends nothing");
  // An engine that cannot send in the asked mode is refused before any agent is contacted (the
  // agent address here has nothing listening).
  ExpectOneLineError(
      RunTool(Binary("salvo"), with({"--engine", "epoll", "--send-mode", "uring-zc"})), 2,
      "--send-mode uring-zc is io_uring's SEND_ZC and needs --engine io_uring (or auto)");
  ExpectOneLineError(
      RunTool(Binary("salvo"), with({"--engine", "io_uring", "--send-mode", "zerocopy"})), 2,
      "--send-mode zerocopy is MSG_ZEROCOPY on the epoll engine");
  ExpectOneLineError(
      RunTool(Binary("salvo"), {"run", "--agents", "nohost", "--target", "127.0.0.1:7000"}), 2,
      "invalid address 'nohost'");
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--mode", "nope"}), 2, "nope");
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--threads", "0"}), 2, "--threads");
  ExpectOneLineError(RunTool(Binary("salvo-agent"), {"--frobnicate"}), 2, "--frobnicate");
  // An address not on this host (TEST-NET-1): bind fails, nothing is sent anywhere.
  ExpectOneLineError(RunTool(Binary("salvo-agent"), {"--listen", "192.0.2.7:7100", "--insecure"}),
                     1, "cannot listen on 192.0.2.7:7100");
  ExpectOneLineError(RunTool(Binary("salvo-agent"), {"--allow-target", "10.0.0.0/33"}), 2,
                     "--allow-target");
  // Limits (issue 9): absurd weights, durations, threads and sizes are refused, not obeyed.
  ExpectOneLineError(
      RunTool(Binary("salvo"), {"run", "--agents", "127.0.0.1:7100@1e308,127.0.0.1:7101",
                                "--target", "127.0.0.1:7000"}),
      2, "0 < WEIGHT <= 1e+06");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--duration", "1e300"})), 2,
                     "must be at most 7 days");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--threads", "4294967295"})), 2, "--threads");
  // salvo-target's usage errors exit 2 like everyone's (issue 22: they exited 1).
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--threads", "1024"}), 2,
                     "--threads must be 1-");
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--mode", "source", "--size", "1000g"}), 2,
                     "--size must be 1 byte to 1g");
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--size", "0"}), 2, "--size");
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--listen", "garbage"}), 2, "garbage");
  ExpectOneLineError(RunTool(Binary("salvo-target"), {"--json-out", "/tmp"}), 2,
                     "--json-out /tmp is a directory, not a file");
  // Options that mean something only beside another are refused alone, not ignored (issue 22).
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--stages", ""})), 2, "--stages is empty");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--stages", "1s:1k"})), 2,
                     "--stages last 1s, which the warm-up (1s) uses up");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--arrival", "poisson"})), 2,
                     "give --rate or --stages with it");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--metrics-linger", "5s"})), 2,
                     "give --metrics-listen with it");
  ExpectOneLineError(
      RunTool(Binary("salvo"), with({"--json", dir_ + "/same", "--html", dir_ + "/same"})), 2,
      "--json and --html both write");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--connect-rate", "1e10"})), 2,
                     "at most 1e9 connections/s");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--workload", "stream-out", "--threshold",
                                                    "round_trip.p99_us<2000"})),
                     2, "this run does not measure round_trip.p99_us");
  // Doors (issue 9): an open agent beyond loopback needs --insecure; files are checked.
  ExpectOneLineError(RunTool(Binary("salvo-agent"), {"--listen", "0.0.0.0:0"}), 1,
                     "neither --token-file nor --tls-cert");
  ExpectOneLineError(RunTool(Binary("salvo-agent"), {"--token-file", "/tmp"}), 2,
                     "--token-file: /tmp is a directory, not a file");
  ExpectOneLineError(
      RunTool(Binary("salvo-agent"), {"--listen", "127.0.0.1:0", "--port-file", "/proc/nope/p"}), 1,
      "cannot write --port-file /proc/nope/p");
  ExpectOneLineError(
      RunTool(Binary("salvo-target"), {"--listen", "127.0.0.1:0", "--port-file", "/proc/nope/p"}),
      1, "cannot write --port-file /proc/nope/p");
  ExpectOneLineError(RunTool(Binary("salvo"), {"agents", "--agents", "nohostport"}), 2,
                     "invalid address 'nohostport'");
}

TEST_F(EndToEnd, ThresholdsPassFailOrAreRefusedAsUsageErrors) {
  const uint16_t target = StartTarget("echo");
  const std::string agent = StartAgent();
  const std::vector<std::string> base = {
      "run",        "--agents", agent,      "--target", absl::StrCat("127.0.0.1:", target),
      "--duration", "1",        "--warmup", "0",        "--no-live"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const Output pass =
      RunTool(Binary("salvo"),
              with({"--threshold", "errors==0", "--threshold", "round_trip.p99_us<10000000"}));
  EXPECT_EQ(pass.code, 0) << pass.out << pass.err;
  EXPECT_TRUE(absl::StrContains(pass.out, "threshold errors==0: passed (0)")) << pass.out;
  const Output fail = RunTool(Binary("salvo"), with({"--threshold", "completions_per_sec>1e12"}));
  EXPECT_EQ(fail.code, 4) << fail.out << fail.err;
  EXPECT_TRUE(absl::StrContains(fail.out, "threshold completions_per_sec>1e12: FAILED"))
      << fail.out;
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--threshold", "latency<5"})), 2,
                     "unknown field 'latency' (valid: errors, measured_s,");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--threshold", "errors=<5"})), 2,
                     "--threshold 'errors=<5'");
  ExpectOneLineError(RunTool(Binary("salvo"), with({"--threshold", "errors<five"})), 2,
                     "'five' is not a number");
}

TEST_F(EndToEnd, GarbageTlsMaterialIsNamedAsSuch) {
  const std::string cert = absl::StrCat(dir_, "/cert.pem"), key = absl::StrCat(dir_, "/key.pem");
  std::ofstream(cert) << "-----BEGIN CERTIFICATE-----\nnot a certificate\n";
  std::ofstream(key) << "not a key\n";
  ExpectOneLineError(RunTool(Binary("salvo-agent"),
                             {"--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key}),
                     1, "--tls-cert/--tls-key: not a usable PEM certificate and private key pair");
}

TEST_F(EndToEnd, ASweepWhoseEveryPointIsSkippedFails) {
  const Output o =
      RunTool(Binary("salvo"), {"sweep", "--agents", "127.0.0.1:7100", "--target", "127.0.0.1:7000",
                                "--engines", "epoll", "--send-modes", "uring-zc", "--sizes", "1k"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_TRUE(absl::StrContains(o.out, "every point was skipped")) << o.out;
  EXPECT_TRUE(absl::StrContains(o.out, "status: failed")) << o.out;
}

TEST_F(EndToEnd, UnreachableAgentIsNamedAndFailsTheRun) {
  const uint16_t target = StartTarget("echo");
  const Output o =
      RunTool(Binary("salvo"), {"run", "--agents", "127.0.0.1:1", "--target",
                                absl::StrCat("127.0.0.1:", target), "--duration", "1"});
  ExpectOneLineError(o, 1, "agent 127.0.0.1:1 is unreachable");
}

TEST_F(EndToEnd, RefusedTargetFailsTheRunAndSaysSo) {
  const std::string agent = StartAgent();
  const std::string json = absl::StrCat(dir_, "/r.json");
  const Output o =
      RunTool(Binary("salvo"), {"run", "--agents", agent, "--target", "127.0.0.1:1",
                                "--connections", "8", "--duration", "1", "--json", json});
  ExpectOneLineError(o, 1, "8 of 8 connections to 127.0.0.1:1 failed");
  EXPECT_TRUE(absl::StrContains(o.err, "refused")) << o.err;
  v1::RunReport report;
  ASSERT_EQ(testing::ReadJsonFile(json, &report), absl::OkStatus());
  EXPECT_EQ(report.status(), v1::RUN_STATUS_FAILED);
  EXPECT_EQ(report.totals().counters().connect_errors(), 8u);
  // A script's next run, started the moment the failed one returned, finds the agent free.
  const uint16_t target = StartTarget("echo");
  for (int i = 0; i < 3; ++i) {
    const Output failed =
        RunTool(Binary("salvo"), {"run", "--agents", agent, "--target", "127.0.0.1:1",
                                  "--connections", "8", "--duration", "1"});
    EXPECT_EQ(failed.code, 1);
    const Output next =
        RunTool(Binary("salvo"), {"run", "--agents", agent, "--target",
                                  absl::StrCat("127.0.0.1:", target), "--connections", "2",
                                  "--duration", "0.2", "--warmup", "0", "--interval", "100ms"});
    EXPECT_EQ(next.code, 0) << next.out << next.err;
  }
}

TEST_F(EndToEnd, TooManyConnectionsForTheFdLimitIsSaidBeforeAnySocketOpens) {
  const uint16_t target = StartTarget("echo");
  // An agent whose hard fd limit is 256.
  const std::string port_file = absl::StrCat(dir_, "/limited.port");
  absl::StatusOr<Child> c =
      Child::Spawn("/usr/bin/prlimit", {"--nofile=256:256", Binary("salvo-agent"), "--listen",
                                        "127.0.0.1:0", "--port-file", port_file});
  ASSERT_TRUE(c.ok());
  children_.push_back(std::move(*c));
  const uint16_t agent_port =
      *process::WaitForPortFile(port_file, children_.back(), absl::Seconds(10));
  const Output o =
      RunTool(Binary("salvo"),
              {"run", "--agents", absl::StrCat("127.0.0.1:", agent_port), "--target",
               absl::StrCat("127.0.0.1:", target), "--connections", "1000", "--duration", "1"});
  ExpectOneLineError(o, 1,
                     "1000 connections need about 1064 file descriptors but the limit is 256");
  EXPECT_EQ(CountEstablishedTo(target), 0);
}

// Opens a TCP connection to 127.0.0.1:`port` without waiting for it to complete (a full accept
// queue would make a blocking connect wait). -1 if no socket could be made.
int ConnectWithoutWaiting(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  return fd;
}

TEST_F(EndToEnd, IdleConnectionsThatExhaustTheAgentsFdsDoNotKeepItOfflineAfterTheyLeave) {
  const uint16_t target = StartTarget("echo");
  // An agent whose hard fd limit is 256, so it cannot raise it past what the attacker uses.
  const std::string port_file = absl::StrCat(dir_, "/limited.port");
  const std::string log = absl::StrCat(dir_, "/limited.log");
  absl::StatusOr<Child> c = Child::Spawn("/usr/bin/prlimit",
                                         {"--nofile=256:256", Binary("salvo-agent"), "--listen",
                                          "127.0.0.1:0", "--port-file", port_file},
                                         log);
  ASSERT_TRUE(c.ok());
  children_.push_back(std::move(*c));
  const uint16_t agent_port =
      *process::WaitForPortFile(port_file, children_.back(), absl::Seconds(10));
  const std::string agent = absl::StrCat("127.0.0.1:", agent_port);

  // 300 idle connections, and one client that starts the HTTP/2 preface and never finishes it.
  std::vector<int> attacker;
  for (int i = 0; i < 300; ++i) attacker.push_back(ConnectWithoutWaiting(agent_port));
  const int slow = ConnectWithoutWaiting(agent_port);
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_EQ(write(slow, "PRI", 3), 3);
  absl::SleepFor(absl::Seconds(2));
  for (int fd : attacker) close(fd);
  close(slow);
  const absl::Time left = absl::Now();

  // The agent answers again within 5 s of the attacker leaving, and a run through it succeeds.
  Output probe;
  while (absl::Now() - left < absl::Seconds(5)) {
    probe = RunTool(Binary("salvo"), {"agents", "--agents", agent}, absl::Seconds(5));
    if (probe.code == 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(probe.code, 0) << "still unreachable 5 s after the attacker left: " << probe.out
                           << probe.err << ReadFile(log);
  const Output run = RunTool(
      Binary("salvo"), {"run", "--agents", agent, "--target", absl::StrCat("127.0.0.1:", target),
                        "--connections", "4", "--duration", "1", "--warmup", "0"});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_TRUE(absl::StrContains(run.out, "status: ok")) << run.out;
  // The flood did exhaust the agent's descriptors, so the recovery above was tested.
  EXPECT_TRUE(absl::StrContains(ReadFile(log), "the control port stopped accepting"))
      << ReadFile(log);
}

// CPU seconds (user + system) that process `pid` has used.
double CpuSeconds(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  // The fields after the command name, which is in parentheses and may hold spaces.
  const std::vector<std::string> f =
      absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ', absl::SkipEmpty());
  double utime = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtod(f[11], &utime) || !absl::SimpleAtod(f[12], &stime)) {
    return -1;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST_F(EndToEnd, ATargetOutOfDescriptorsRefusesConnectionsSaysSoAndDoesNotSpin) {
  for (const char* engine : {"io_uring", "epoll"}) {
    SCOPED_TRACE(engine);
    const std::string port_file = absl::StrCat(dir_, "/", engine, ".port");
    const std::string log = absl::StrCat(dir_, "/", engine, ".log");
    absl::StatusOr<Child> c =
        Child::Spawn("/usr/bin/prlimit",
                     {"--nofile=64:64", Binary("salvo-target"), "--listen", "127.0.0.1:0",
                      "--engine", engine, "--port-file", port_file},
                     log);
    ASSERT_TRUE(c.ok());
    children_.push_back(std::move(*c));
    Child& target = children_.back();
    const uint16_t port = *process::WaitForPortFile(port_file, target, absl::Seconds(10));
    std::vector<int> flood;
    for (int i = 0; i < 150; ++i) flood.push_back(ConnectWithoutWaiting(port));
    absl::SleepFor(absl::Milliseconds(300));
    // With its descriptors gone and every waiting connection refused, the target idles.
    const double before = CpuSeconds(target.pid());
    absl::SleepFor(absl::Seconds(1));
    const double used = CpuSeconds(target.pid()) - before;
    EXPECT_LT(used, 0.2) << "the target spun at the fd limit";
    ASSERT_TRUE(
        WaitFor([&] { return absl::StrContains(ReadFile(log), "REFUSED"); }, absl::Seconds(3)))
        << ReadFile(log);
    EXPECT_TRUE(absl::StrContains(ReadFile(log), "out of file descriptors")) << ReadFile(log);
    for (int fd : flood) close(fd);
    target.Terminate(absl::Seconds(3));
  }
}

// Resident memory of process `pid`, in bytes.
uint64_t RssBytes(pid_t pid) {
  for (absl::string_view line :
       absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid, "/status")), '\n')) {
    uint64_t kib = 0;
    if (absl::ConsumePrefix(&line, "VmRSS:") &&
        absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kib)) {
      return kib * 1024;
    }
  }
  return 0;
}

TEST_F(EndToEnd, AnAgentDoesNotGrowAcrossFiftyRuns) {
  // Each run's workers map their receive buffers and unmap them when the run ends; memory once
  // kept in malloc arenas grew an idle agent from 16 MB to 52 MB in five runs.
  const uint16_t target = StartTarget("echo");
  const std::string agent = StartAgent();
  const pid_t pid = children_.back().pid();
  const std::vector<std::string> run = {
      "run",           "--agents", agent,       "--target",   absl::StrCat("127.0.0.1:", target),
      "--connections", "40",       "--threads", "2",          "--duration",
      "0.05",          "--warmup", "0",         "--interval", "50ms"};
  const uint64_t idle = RssBytes(pid);
  uint64_t after_ten = 0;
  for (int i = 1; i <= 50; ++i) {
    const Output o = RunTool(Binary("salvo"), run);
    ASSERT_EQ(o.code, 0) << "run " << i << ": " << o.out << o.err;
    if (i == 10) after_ten = RssBytes(pid);
  }
  const uint64_t after_fifty = RssBytes(pid);
  ASSERT_GT(idle, 0u);
  // Tolerances: 4 MiB of drift from run 10 to run 50, 10 MiB above the idle agent in all (the
  // old arena growth was 36 MB). Measured: 19.1 MB after 20 runs, 20.7 MB after 120, in steps of
  // up to 1 MB; heaptrack finds 92 KB leaked over 40 runs, so the steps are the allocator's. With
  // sealed snapshots and per-worker scheduler readings (issue 21), 16.0 MB idle, 22.0 MB after
  // 10 runs and 23.0-23.2 MB after 50 here; a loaded CI host once read 24.6 MB.
  EXPECT_LT(after_fifty, after_ten + (4u << 20)) << after_ten << " -> " << after_fifty;
  EXPECT_LT(after_fifty, idle + (10u << 20)) << idle << " -> " << after_fifty;
  std::cerr << "agent RSS idle " << idle << ", after 10 runs " << after_ten << ", after 50 "
            << after_fifty << "\n";
}

TEST_F(EndToEnd, KillingOneOfThreeAgentsLeavesAPartialReportWithItsEarlierIntervals) {
  const uint16_t target = StartTarget("echo");
  std::vector<std::string> agents;
  for (int i = 0; i < 3; ++i) agents.push_back(StartAgent());
  Child& victim = children_.back();
  const std::string json = absl::StrCat(dir_, "/partial.json");
  const std::string log = absl::StrCat(dir_, "/partial.log");
  absl::StatusOr<Child> controller =
      Child::Spawn(Binary("salvo"),
                   {"run", "--agents", absl::StrJoin(agents, ","), "--target",
                    absl::StrCat("127.0.0.1:", target), "--connections", "6", "--duration", "4",
                    "--warmup", "0", "--interval", "500ms", "--json", json},
                   log);
  ASSERT_TRUE(controller.ok());
  // Kill it once three intervals have been reported, however long the set-up took.
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string text = ReadFile(log);
        return std::count(text.begin(), text.end(), '[') >= 3;
      },
      absl::Seconds(30)));
  ::kill(victim.pid(), SIGKILL);
  const int code = controller->Wait(absl::Seconds(30));
  EXPECT_EQ(code, 3) << ReadFile(log);  // partial
  v1::RunReport r;
  ASSERT_EQ(testing::ReadJsonFile(json, &r), absl::OkStatus());
  EXPECT_EQ(r.status(), v1::RUN_STATUS_PARTIAL);
  ASSERT_EQ(r.lost_agents_size(), 1);
  EXPECT_TRUE(absl::StrContains(r.lost_agents(0), agents[2])) << r.lost_agents(0);
  EXPECT_TRUE(r.agents(2).lost());
  EXPECT_GE(r.agents(2).intervals_size(), 2);  // what it reported before it died is kept
  for (int i : {0, 1}) {
    EXPECT_FALSE(r.agents(i).lost());
    EXPECT_EQ(r.agents(i).intervals_size(), 8);
    EXPECT_EQ(r.agents(i).counters().bytes_received(), r.agents(i).counters().bytes_sent());
  }
  EXPECT_TRUE(absl::StrContains(ReadFile(log), "lost at interval")) << ReadFile(log);
}

// kill -9 of the controller, with one agent and with two: every agent stops its load at once
// and takes the next run.
class KilledController : public EndToEnd, public ::testing::WithParamInterface<int> {};

INSTANTIATE_TEST_SUITE_P(Agents, KilledController, ::testing::Values(1, 2));

TEST_P(KilledController, LeavesNoLoadBehindAndEveryAgentTakesTheNextRun) {
  const int agents = GetParam();
  const uint32_t connections = 16 * agents;
  const uint16_t target = StartTarget("echo");
  std::vector<std::string> names;
  for (int i = 0; i < agents; ++i) names.push_back(StartAgent());
  std::vector<std::string> args = {"run",
                                   "--agents",
                                   absl::StrJoin(names, ","),
                                   "--target",
                                   absl::StrCat("127.0.0.1:", target),
                                   "--connections",
                                   absl::StrCat(connections),
                                   "--interval",
                                   "250ms",
                                   "--warmup",
                                   "0",
                                   "--duration",
                                   "60"};
  const std::string log = absl::StrCat(dir_, "/controller.log");
  absl::StatusOr<Child> controller = Child::Spawn(Binary("salvo"), args, log);
  ASSERT_TRUE(controller.ok());
  ASSERT_TRUE(WaitFor([&] { return CountEstablishedTo(target) == static_cast<int>(connections); },
                      absl::Seconds(10)));
  // Load is running once the controller has printed an interval.
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(ReadFile(log), "msg/s"); }, absl::Seconds(10)))
      << ReadFile(log);
  ::kill(controller->pid(), SIGKILL);
  const absl::Time killed = absl::Now();
  controller->Wait(absl::Seconds(5));
  ASSERT_TRUE(WaitFor([&] { return CountEstablishedTo(target) == 0; }, absl::Seconds(2)))
      << CountEstablishedTo(target) << " connections still open 2s after the controller died";
  std::cerr << agents << " agent(s) closed their sockets "
            << absl::FormatDuration(absl::Now() - killed) << " after the controller was killed\n";
  args.back() = "1";  // --duration 1
  const Output o = RunTool(Binary("salvo"), args);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(absl::StrContains(o.out, "status: ok")) << o.out;
}

// A gracefully stopped agent (SIGTERM) is a lost agent with a reason, as one killed with -9 is:
// the run is partial (issue 22: it was failed), and what the agent measured up to then is kept.
TEST_F(EndToEnd, AnAgentToldToStopMidRunStopsAtOnceAndTheRunIsPartialWithItsResult) {
  const uint16_t target = StartTarget("echo");
  std::vector<std::string> agents;
  for (int i = 0; i < 2; ++i) agents.push_back(StartAgent());
  Child& agent_process = children_.back();
  const std::string json = absl::StrCat(dir_, "/stopped.json");
  const std::string log = absl::StrCat(dir_, "/stopped.log");
  absl::StatusOr<Child> controller =
      Child::Spawn(Binary("salvo"),
                   {"run", "--agents", absl::StrJoin(agents, ","), "--target",
                    absl::StrCat("127.0.0.1:", target), "--connections", "8", "--duration", "4",
                    "--warmup", "0", "--interval", "500ms", "--json", json},
                   log);
  ASSERT_TRUE(controller.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string text = ReadFile(log);
        return std::count(text.begin(), text.end(), '[') >= 2;
      },
      absl::Seconds(30)))
      << ReadFile(log);
  const absl::Time told = absl::Now();
  ::kill(agent_process.pid(), SIGTERM);
  EXPECT_EQ(agent_process.Wait(absl::Seconds(8)), 0);
  EXPECT_LT(absl::Now() - told, absl::Seconds(5)) << "the agent kept going after SIGTERM";
  EXPECT_EQ(controller->Wait(absl::Seconds(30)), 3) << ReadFile(log);  // partial
  v1::RunReport r;
  ASSERT_EQ(testing::ReadJsonFile(json, &r), absl::OkStatus());
  EXPECT_EQ(r.status(), v1::RUN_STATUS_PARTIAL) << ReadFile(log);
  EXPECT_EQ(r.reasons_size(), 0) << ReadFile(log);
  ASSERT_EQ(r.agents_size(), 2);
  const v1::AgentResult& stopped = r.agents(1);
  EXPECT_TRUE(stopped.lost());
  EXPECT_TRUE(stopped.stopped_by_agent());
  EXPECT_GE(stopped.intervals_size(), 2);
  EXPECT_GT(stopped.counters().messages(), 0u) << "its result arrived and was kept";
  EXPECT_TRUE(absl::StrContains(stopped.error(), "the agent was shut down (SIGTERM)"))
      << stopped.error();
  ASSERT_EQ(r.lost_agents_size(), 1);
  EXPECT_TRUE(absl::StrContains(r.lost_agents(0), "the agent was shut down")) << r.lost_agents(0);
  EXPECT_FALSE(r.agents(0).lost());
  EXPECT_EQ(r.agents(0).intervals_size(), 8);
  EXPECT_TRUE(absl::StrContains(ReadFile(log), "status: partial")) << ReadFile(log);
}

TEST_F(EndToEnd, AgentsCommandPrintsOneLinePerAgent) {
  const std::string a = StartAgent();
  const Output o = RunTool(Binary("salvo"), {"agents", "--agents", a + ",127.0.0.1:1"});
  EXPECT_EQ(o.code, 1);
  const std::vector<std::string> lines = absl::StrSplit(o.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_TRUE(absl::StrContains(lines[0], a + "  reachable  salvo-agent " SALVO_VERSION)) << o.out;
  EXPECT_TRUE(absl::StrContains(lines[0], "idle")) << o.out;
  EXPECT_TRUE(absl::StrContains(lines[0], "clock offset")) << o.out;
  EXPECT_TRUE(absl::StrContains(lines[0], "engines ")) << o.out;
  EXPECT_TRUE(absl::StrContains(lines[1], "127.0.0.1:1  unreachable")) << o.out;
}

TEST_F(EndToEnd, TargetWritesItsTotalsAsJsonOnSigterm) {
  const std::string json = absl::StrCat(dir_, "/t.json");
  const uint16_t port = StartTarget("echo", {"--json-out", json});
  // Known traffic: one connection echoes 1000 bytes, so every figure has an exact expected value.
  {
    net::Fd c = *net::NewTcpSocket(AF_INET);
    const net::SocketAddress to = *net::ResolveHostPort(absl::StrCat("127.0.0.1:", port));
    ASSERT_TRUE(
        WaitFor([&] { return ::connect(c.get(), to.get(), to.length) == 0 || errno == EISCONN; },
                absl::Seconds(5)));
    const std::string sent(1000, 'e');
    size_t echoed = 0;
    ASSERT_EQ(::send(c.get(), sent.data(), sent.size(), MSG_NOSIGNAL), 1000);
    char buf[1000];
    ASSERT_TRUE(WaitFor(
        [&] {
          const ssize_t n = ::recv(c.get(), buf, sizeof(buf), MSG_DONTWAIT);
          if (n > 0) echoed += static_cast<size_t>(n);
          return echoed == sent.size();
        },
        absl::Seconds(5)));
  }
  ASSERT_EQ(children_.back().Terminate(absl::Seconds(5)), 0);
  const std::string text = ReadFile(json);
  v1::TargetTotals totals;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &totals).ok()) << text;
  EXPECT_EQ(totals.mode(), "echo");
  EXPECT_EQ(totals.counters().connections_established(), 1u);
  EXPECT_EQ(totals.counters().bytes_received(), 1000u);
  EXPECT_EQ(totals.counters().bytes_sent(), 1000u);
  EXPECT_GE(totals.counters().recv_calls(), 1u);
  EXPECT_GE(totals.counters().send_calls(), 1u);
  EXPECT_NE(totals.engine(), v1::ENGINE_UNSPECIFIED);
  EXPECT_TRUE(absl::StrContains(text, "\"bytes_received\"")) << text;
}

// Runs `binary args` in a child where io_uring_setup fails with ENOSYS, as on a kernel built
// without io_uring; returns the exit code (or -1 if it was still running after `timeout` and
// had to be killed) and the combined output.
Output RunWithoutIoUring(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& dir, absl::Duration timeout) {
  const std::string out_path = absl::StrCat(dir, "/no-uring.out");
  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
      _exit(99);
    }
    execv(argv[0], argv.data());
    _exit(98);
  }
  Output o;
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGTERM);
      waitpid(pid, &status, 0);
      o.code = -1;
      o.out = ReadFile(out_path);
      return o;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = ReadFile(out_path);
  return o;
}

TEST_F(EndToEnd, WithoutIoUringAnExplicitChoiceFailsClearlyAndAutoFallsBackToEpoll) {
  const Output explicit_choice =
      RunWithoutIoUring(Binary("salvo-target"), {"--listen", "127.0.0.1:0", "--engine", "io_uring"},
                        dir_, absl::Seconds(10));
  ASSERT_NE(explicit_choice.code, 99) << "could not install the seccomp filter";
  EXPECT_EQ(explicit_choice.code, 1) << explicit_choice.out;
  EXPECT_TRUE(absl::StrContains(explicit_choice.out, "--engine io_uring is not available here"))
      << explicit_choice.out;
  EXPECT_TRUE(absl::StrContains(explicit_choice.out, "Function not implemented"))
      << explicit_choice.out;

  // auto serves on epoll and says why; it runs until stopped.
  const Output fallback = RunWithoutIoUring(
      Binary("salvo-target"), {"--listen", "127.0.0.1:0", "--engine", "auto", "--quiet"}, dir_,
      absl::Seconds(1));
  EXPECT_EQ(fallback.code, -1) << fallback.out;
  EXPECT_TRUE(
      absl::StrContains(fallback.out, "engine auto: epoll, because io_uring is not available"))
      << fallback.out;
  EXPECT_TRUE(absl::StrContains(fallback.out, "(epoll, copy sends")) << fallback.out;
}

}  // namespace
}  // namespace salvo
