// Several hosts on one machine: network namespaces that this test creates and always removes,
// joined by a bridge in a namespace of their own, with addresses from 198.18.0.0/24 (the range
// set aside for network benchmarks, RFC 2544). A target host, two agent hosts and a controller
// host run the real binaries; one agent's link is impaired.
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "process/child.h"
#include "salvo/v1/report.pb.h"
#include "tests/test_util.h"

namespace salvo {
namespace {

using process::Child;

using testing::Binary;

using testing::Sh;

class MultiHost : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creating network namespaces needs root";
    prefix_ = absl::StrCat("sv", ::getpid() % 100000);
    if (Sh("ip netns add " + Ns("probe") + " && ip netns del " + Ns("probe")) != 0) {
      GTEST_SKIP() << "this machine cannot create network namespaces (ip netns add failed)";
    }
    created_ = true;
    dir_ = *process::MakeTempDir("salvo-netns-");
    // The switch: a bridge in its own namespace, so nothing touches the host's network.
    ASSERT_EQ(
        Sh("ip netns add " + Ns("sw") + " && ip netns exec " + Ns("sw") +
           " ip link add br0 type bridge && ip netns exec " + Ns("sw") + " ip link set br0 up"),
        0);
    const std::pair<const char*, int> hosts[] = {{"t", 1}, {"a1", 2}, {"a2", 3}, {"c", 4}};
    for (auto [role, octet] : hosts) {
      const std::string ns = Ns(role), dev = prefix_ + role, peer = dev + "b";
      ASSERT_EQ(Sh(absl::StrCat(
                    "ip netns add ", ns, " && ip link add ", dev, " netns ", ns,
                    " type veth peer name ", peer, " netns ", Ns("sw"), " && ip netns exec ",
                    Ns("sw"), " ip link set ", peer, " master br0 up && ip netns exec ", ns,
                    " ip link set lo up", " && ip netns exec ", ns, " ip addr add 198.18.0.", octet,
                    "/24 dev ", dev, " && ip netns exec ", ns, " ip link set ", dev, " up")),
                0)
          << role;
    }
    // Agent 1's link: 5 ms of delay where the kernel has netem; otherwise a 200 Mbit/s token
    // bucket, which impairs the link without delaying it.
    const std::string a1 =
        "ip netns exec " + Ns("a1") + " tc qdisc add dev " + prefix_ + "a1 root ";
    if (Sh(a1 + "netem delay 5ms") == 0) {
      impairment_ = "netem delay 5ms";
    } else {
      ASSERT_EQ(Sh(a1 + "tbf rate 200mbit burst 64kb latency 50ms"), 0);
      impairment_ = "tbf 200mbit (this kernel has no sch_netem, so no delay)";
    }
  }

  void TearDown() override {
    for (Child& c : children_) c.Kill();
    if (!created_) return;
    for (const char* role : {"t", "a1", "a2", "c", "sw"}) Sh("ip netns del " + Ns(role));
    if (!dir_.empty()) Sh("rm -rf " + dir_);
  }

  std::string Ns(const std::string& role) const { return prefix_ + "-" + role; }

  Child& Spawn(const std::string& role, const std::string& binary, std::vector<std::string> args) {
    args.insert(args.begin(), {"netns", "exec", Ns(role), binary});
    absl::StatusOr<Child> c =
        Child::Spawn("/usr/sbin/ip", args, absl::StrCat(dir_, "/", role, ".log"));
    EXPECT_TRUE(c.ok()) << c.status();
    children_.push_back(std::move(*c));
    return children_.back();
  }

  std::string prefix_, dir_, impairment_;
  bool created_ = false;
  std::deque<Child> children_;
};

TEST_F(MultiHost, TwoAgentHostsLoadATargetHostAndTheReportAddsUp) {
  const std::string target_json = dir_ + "/target.json";
  Child& target = Spawn("t", Binary("salvo-target"),
                        {"--listen", "198.18.0.1:7000", "--mode", "sink", "--threads", "2",
                         "--quiet", "--json-out", target_json, "--port-file", dir_ + "/t.port"});
  ASSERT_TRUE(process::WaitForPortFile(dir_ + "/t.port", target, absl::Seconds(10)).ok());
  for (const char* role : {"a1", "a2"}) {
    const std::string ip = std::string(role) == "a1" ? "198.18.0.2" : "198.18.0.3";
    Child& agent = Spawn(role, Binary("salvo-agent"),
                         // The namespaces are this test's own: no token needed there.
                         {"--listen", ip + ":7100", "--insecure", "--allow-target", "198.18.0.0/24",
                          "--port-file", absl::StrCat(dir_, "/", role, ".port")});
    ASSERT_TRUE(
        process::WaitForPortFile(absl::StrCat(dir_, "/", role, ".port"), agent, absl::Seconds(10))
            .ok());
  }
  const std::string report_json = dir_ + "/report.json";
  Child& controller =
      Spawn("c", Binary("salvo"),
            {"run", "--agents", "198.18.0.2:7100,198.18.0.3:7100", "--target", "198.18.0.1:7000",
             "--workload", "stream-out", "--connections", "8", "--size", "16k", "--duration", "3",
             "--warmup", "0", "--interval", "500ms", "--json", report_json});
  const int code = controller.Wait(absl::Seconds(60));
  const std::string shown = testing::ReadFile(dir_ + "/c.log");
  std::cerr << "impaired link: " << impairment_ << "\n" << shown;
  ASSERT_EQ(code, 0) << shown;

  v1::RunReport r;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(testing::ReadFile(report_json), &r).ok());
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  ASSERT_EQ(r.agents_size(), 2);
  uint64_t sent = 0;
  for (const v1::AgentResult& a : r.agents()) {
    EXPECT_EQ(a.connections(), 4u);
    EXPECT_EQ(a.counters().connections_established(), 4u);
    EXPECT_GT(a.counters().bytes_sent(), 0u);
    EXPECT_EQ(a.intervals_size(), 6) << a.agent();
    EXPECT_GT(a.clock_rtt_ms(), 0);
    sent += a.counters().bytes_sent();
  }
  // Exact aggregation: totals are the agents' sum and match the target's own count.
  EXPECT_EQ(r.totals().counters().bytes_sent(), sent);
  ASSERT_EQ(target.Terminate(absl::Seconds(5)), 0);
  v1::TargetTotals t;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(testing::ReadFile(target_json), &t).ok());
  EXPECT_EQ(t.counters().bytes_received(), r.totals().counters().bytes_sent());
  EXPECT_EQ(t.counters().connections_established(), 8u);
  // Intervals align by index: every merged interval has both agents, and adds up.
  ASSERT_EQ(r.intervals_size(), 6);
  for (const v1::IntervalPoint& p : r.intervals()) {
    EXPECT_EQ(p.agents_reporting(), 2u);
    EXPECT_EQ(p.counters().bytes_sent(),
              r.agents(0).intervals(static_cast<int>(p.index())).counters().bytes_sent() +
                  r.agents(1).intervals(static_cast<int>(p.index())).counters().bytes_sent());
  }
  EXPECT_LT(r.start_skew_ms(), 5.0);
  if (absl::StartsWith(impairment_, "netem")) {
    EXPECT_GT(r.agents(0).clock_rtt_ms(), 4.0);
  }
}

// Issue 21: through a path that went silent the kernel gave up on the connections (ETIMEDOUT)
// and the run failed with "the target closed 0 and reset or failed 88 connections". The target
// reset nothing; the report now says whose doing it was.
TEST_F(MultiHost, ConnectionsOurKernelGaveUpOnAreNotBlamedOnTheTarget) {
  Child& target = Spawn("t", Binary("salvo-target"),
                        {"--listen", "198.18.0.1:7000", "--mode", "sink", "--quiet", "--port-file",
                         dir_ + "/t.port"});
  ASSERT_TRUE(process::WaitForPortFile(dir_ + "/t.port", target, absl::Seconds(10)).ok());
  // Give up after two unanswered retransmissions (1.4 s of the model timeout, so at the timer's
  // firing 2.8 s after the first) instead of fifteen (15 min); the setting is the agent
  // namespace's own.
  ASSERT_EQ(Sh("ip netns exec " + Ns("a2") + " sysctl -qw net.ipv4.tcp_retries2=2"), 0);
  const std::string report_json = dir_ + "/report.json";
  Child& load = Spawn(
      "a2", Binary("salvo-load"),
      {"--target", "198.18.0.1:7000", "--workload", "stream-out", "--connections", "8", "--size",
       "16k", "--duration", "7", "--warmup", "0", "--interval", "500ms", "--json", report_json});
  // One second in, the target host's answers stop without a word: no FIN, no reset (its route
  // back to the agent host becomes a black hole).
  absl::SleepFor(absl::Seconds(1));
  ASSERT_EQ(Sh("ip -n " + Ns("t") + " route add blackhole 198.18.0.3/32"), 0);
  const int code = load.Wait(absl::Seconds(60));
  const std::string shown = testing::ReadFile(dir_ + "/a2.log");
  std::cerr << shown;
  EXPECT_NE(code, 0) << "the run did not do what was asked";
  v1::RunReport r;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(testing::ReadFile(report_json), &r).ok())
      << shown;
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  EXPECT_EQ(r.totals().counters().connections_timed_out(), 8u) << shown;
  EXPECT_EQ(r.totals().counters().peer_resets(), 0u);
  bool named = false;
  for (const std::string& reason : r.reasons()) {
    EXPECT_FALSE(absl::StrContains(reason, "reset or failed")) << reason;
    named |= absl::StrContains(reason, "our kernel gave up on 8 connections");
  }
  EXPECT_TRUE(named) << shown;
}

}  // namespace
}  // namespace salvo
