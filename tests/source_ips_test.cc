// Local ports and source addresses, in a network namespace this test creates and removes: its
// own loopback, its own ip_local_port_range narrowed to 100 ports and TIME_WAIT reuse off, so
// that port exhaustion comes after 100 connections instead of 28,000 and touches nothing else.
// The real binaries run inside it; the kernel's socket table is the independent count.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// Established connections to `port` by local address, from the socket table of the network
// namespace that process `pid` is in.
std::map<std::string, int> EstablishedBySource(pid_t pid, uint16_t port) {
  std::map<std::string, int> out;
  std::ifstream in(absl::StrCat("/proc/", pid, "/net/tcp"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state;
    f >> slot >> local >> remote >> state;
    if (state != "01" || remote.size() < 13) continue;
    if (std::stoul(remote.substr(9), nullptr, 16) != port) continue;
    const unsigned long ip = std::stoul(local.substr(0, 8), nullptr, 16);  // little-endian hex
    out[absl::StrCat(ip & 0xff, ".", (ip >> 8) & 0xff, ".", (ip >> 16) & 0xff, ".", ip >> 24)]++;
  }
  return out;
}

class PortRange : public ::testing::Test {
 protected:
  static constexpr int kPorts = 100;

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creating a network namespace needs root";
    ns_ = absl::StrCat("svp", ::getpid() % 100000);
    if (Sh("ip netns add " + ns_) != 0) {
      GTEST_SKIP() << "this machine cannot create network namespaces (ip netns add failed)";
    }
    created_ = true;
    dir_ = *process::MakeTempDir("salvo-ports-");
    ASSERT_EQ(
        Sh(absl::StrCat("ip netns exec ", ns_, " ip link set lo up && ip netns exec ", ns_,
                        " sysctl -qw net.ipv4.ip_local_port_range='40000 ", 40000 + kPorts - 1,
                        "' && ip netns exec ", ns_, " sysctl -qw net.ipv4.tcp_tw_reuse=0")),
        0);
  }

  void TearDown() override {
    for (Child& c : children_) c.Kill();
    if (created_) Sh("ip netns del " + ns_);
    if (!dir_.empty()) Sh("rm -rf " + dir_);
  }

  Child& Spawn(const std::string& name, const std::string& binary, std::vector<std::string> args) {
    args.insert(args.begin(), {"netns", "exec", ns_, binary});
    absl::StatusOr<Child> c =
        Child::Spawn("/usr/sbin/ip", args, absl::StrCat(dir_, "/", name, ".log"));
    EXPECT_TRUE(c.ok()) << c.status();
    children_.push_back(std::move(*c));
    return children_.back();
  }

  // An echo target and an agent inside the namespace.
  void StartServers() {
    target_ = &Spawn("target", Binary("salvo-target"),
                     {"--listen", "127.0.0.1:7000", "--mode", "echo", "--quiet", "--port-file",
                      dir_ + "/t.port"});
    ASSERT_TRUE(process::WaitForPortFile(dir_ + "/t.port", *target_, absl::Seconds(10)).ok());
    agent_ = &Spawn("agent", Binary("salvo-agent"),
                    {"--listen", "127.0.0.1:7100", "--port-file", dir_ + "/a.port"});
    ASSERT_TRUE(process::WaitForPortFile(dir_ + "/a.port", *agent_, absl::Seconds(10)).ok());
  }

  // `salvo run` inside the namespace; returns its exit code, its output in *shown and its report
  // in *report.
  int Run(const std::string& name, std::vector<std::string> args, std::string* shown,
          v1::RunReport* report) {
    const std::string json = absl::StrCat(dir_, "/", name, ".json");
    std::vector<std::string> all = {
        "run",      "--agents", "127.0.0.1:7100", "--target", "127.0.0.1:7000",
        "--warmup", "0",        "--no-live",      "--json",   json};
    all.insert(all.end(), args.begin(), args.end());
    Child& c = Spawn(name, Binary("salvo"), all);
    const int code = c.Wait(absl::Seconds(60));
    *shown = testing::ReadFile(absl::StrCat(dir_, "/", name, ".log"));
    (void)google::protobuf::util::JsonStringToMessage(testing::ReadFile(json), report);
    return code;
  }

  std::string ns_, dir_;
  bool created_ = false;
  std::deque<Child> children_;
  Child* target_ = nullptr;
  Child* agent_ = nullptr;
};

TEST_F(PortRange, ConnectionsPastThePortRangeFailInOneLineAndSourceIpsCarryThem) {
  StartServers();
  std::string shown;
  v1::RunReport r;
  // 150 connections from one address: 100 ports, so 50 connects find none.
  const int failed = Run("one-address", {"--connections", "150", "--duration", "1"}, &shown, &r);
  EXPECT_NE(failed, 0) << shown;
  EXPECT_NE(r.status(), v1::RUN_STATUS_OK);
  ASSERT_GT(r.reasons_size(), 0) << shown;
  const std::string& reason = r.reasons(0);
  EXPECT_NE(reason.find("no local port is free"), std::string::npos) << reason;
  for (const char* remedy : {"--source-ips", "--close rst", "more agents", "ip_local_port_range"}) {
    EXPECT_NE(reason.find(remedy), std::string::npos) << remedy << " missing from: " << reason;
  }
  EXPECT_EQ(reason.find('\n'), std::string::npos) << reason;

  // Two source addresses, each with its own 100 ports: all 150 connect, 75 from each, as the
  // kernel's socket table shows while the run holds them. (Not 127.0.0.1: the run above closed
  // its connections first, so its ports wait in TIME_WAIT for a minute.)
  Child& run = Spawn("two-addresses", Binary("salvo"),
                     {"run", "--agents", "127.0.0.1:7100", "--target", "127.0.0.1:7000",
                      "--connections", "150", "--duration", "3", "--warmup", "0", "--no-live",
                      "--source-ips", "127.0.0.2-127.0.0.3", "--json", dir_ + "/two.json"});
  std::map<std::string, int> by_source;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        by_source = EstablishedBySource(agent_->pid(), 7000);
        return by_source["127.0.0.2"] + by_source["127.0.0.3"] == 150;
      },
      absl::Seconds(20)))
      << testing::ReadFile(dir_ + "/two-addresses.log");
  EXPECT_EQ(by_source["127.0.0.2"], 75);
  EXPECT_EQ(by_source["127.0.0.3"], 75);
  ASSERT_EQ(run.Wait(absl::Seconds(60)), 0) << testing::ReadFile(dir_ + "/two-addresses.log");
  v1::RunReport two;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(testing::ReadFile(dir_ + "/two.json"), &two)
          .ok());
  EXPECT_EQ(two.status(), v1::RUN_STATUS_OK);
  EXPECT_EQ(two.totals().counters().connections_established(), 150u);
  EXPECT_GT(two.totals().counters().messages(), 0u);
  EXPECT_EQ(two.spec().load().source_ips(), "127.0.0.2-127.0.0.3");

  // An address the agent's host does not have is refused before any connection opens.
  EXPECT_NE(Run("foreign", {"--connections", "2", "--source-ips", "10.9.9.9"}, &shown, &r), 0);
  EXPECT_NE(shown.find("10.9.9.9 is not an address of this host"), std::string::npos) << shown;
}

TEST_F(PortRange, ChurnWithFinRunsOutOfPortsInTimeWaitAndRstDoesNot) {
  StartServers();
  std::string shown;
  v1::RunReport r;
  // Each FIN-closed connection leaves its port in TIME_WAIT for 60 s: after 100 connects there
  // are none left, and the report says why and what to do.
  EXPECT_NE(
      Run("fin", {"--workload", "connect-rr", "--connections", "2", "--duration", "2"}, &shown, &r),
      0);
  const v1::Counters& fin = r.totals().counters();
  EXPECT_GT(fin.connect_no_port(), 0u) << shown;
  EXPECT_EQ(fin.connect_no_port(), fin.connect_errors());
  EXPECT_LE(fin.messages(), static_cast<uint64_t>(kPorts));
  ASSERT_GT(r.reasons_size(), 0) << shown;
  EXPECT_NE(r.reasons(0).find("found no free local port"), std::string::npos) << r.reasons(0);
  EXPECT_NE(r.reasons(0).find("--close rst"), std::string::npos) << r.reasons(0);

  // A reset leaves no TIME_WAIT behind; the ports of the FIN run are still held, so this one
  // comes from another source address.
  EXPECT_EQ(Run("rst",
                {"--workload", "connect-rr", "--connections", "2", "--duration", "2", "--close",
                 "rst", "--source-ips", "127.0.0.3"},
                &shown, &r),
            0)
      << shown;
  EXPECT_EQ(r.totals().counters().connect_errors(), 0u);
  EXPECT_GT(r.totals().counters().messages(), static_cast<uint64_t>(10 * kPorts));
}

// 40,000 connections from one agent, past the 28,232 ports of the default range, from two
// source addresses. Needs 40,000 descriptors in the agent and in the target.
TEST(SourceIps, FortyThousandConnectionsFromTwoAddresses) {
  constexpr uint64_t kConnections = 40000;
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_max < kConnections + 200) {
    rlimit raised{kConnections + 200, kConnections + 200};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      GTEST_SKIP() << "the hard limit on open files is " << lim.rlim_max
                   << " and this process cannot raise it (no CAP_SYS_RESOURCE): 40,000 "
                      "connections need 40,200 descriptors in the agent and in the target";
    }
  }
  if (::geteuid() != 0 || Sh("ip netns add svp40k") != 0) {
    GTEST_SKIP() << "creating a network namespace needs root";
  }
  const std::string dir = *process::MakeTempDir("salvo-40k-");
  std::deque<Child> children;
  const auto spawn = [&](const std::string& name, std::vector<std::string> args) -> Child& {
    args.insert(args.begin(), {"netns", "exec", "svp40k"});
    children.push_back(*Child::Spawn("/usr/sbin/ip", args, dir + "/" + name + ".log"));
    return children.back();
  };
  Sh("ip netns exec svp40k ip link set lo up");
  Child& target = spawn("target", {Binary("salvo-target"), "--listen", "127.0.0.1:7000", "--mode",
                                   "echo", "--quiet", "--port-file", dir + "/t.port"});
  Child& agent = spawn("agent", {Binary("salvo-agent"), "--listen", "127.0.0.1:7100", "--port-file",
                                 dir + "/a.port"});
  ASSERT_TRUE(process::WaitForPortFile(dir + "/t.port", target, absl::Seconds(10)).ok());
  ASSERT_TRUE(process::WaitForPortFile(dir + "/a.port", agent, absl::Seconds(10)).ok());
  Child& run = spawn("run", {Binary("salvo"), "run", "--agents", "127.0.0.1:7100", "--target",
                             "127.0.0.1:7000", "--connections", "40000", "--duration", "2",
                             "--warmup", "0", "--no-live", "--connect-timeout", "60s",
                             "--source-ips", "127.0.0.1-127.0.0.2", "--json", dir + "/r.json"});
  const int code = run.Wait(absl::Seconds(180));
  for (Child& c : children) c.Kill();
  Sh("ip netns del svp40k");
  ASSERT_EQ(code, 0) << testing::ReadFile(dir + "/run.log");
  v1::RunReport r;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(testing::ReadFile(dir + "/r.json"), &r).ok());
  EXPECT_EQ(r.totals().counters().connections_established(), kConnections);
  Sh("rm -rf " + dir);
}

}  // namespace
}  // namespace salvo
