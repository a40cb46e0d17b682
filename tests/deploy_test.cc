// salvo deploy against a real sshd that the test starts on a loopback port, with a throwaway
// host key and client key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controller/deploy.h"
#include "gtest/gtest.h"
#include "net/socket.h"
#include "process/child.h"
#include "tests/test_util.h"

namespace salvo::controller {
namespace {

using process::Child;

using testing::Binary;

uint16_t FreePort() {
  net::Fd fd = *net::ListenTcp(*net::ResolveHostPort("127.0.0.1:0", true), {});
  return net::LocalAddress(fd.get())->port();
}

bool Listening(uint16_t port, bool v6 = false) {
  absl::StatusOr<net::Fd> fd = net::NewTcpSocket(v6 ? AF_INET6 : AF_INET);
  if (!fd.ok()) return false;
  const net::SocketAddress a =
      *net::ResolveHostPort(absl::StrCat(v6 ? "[::1]:" : "127.0.0.1:", port));
  ::fcntl(fd->get(), F_SETFL, 0);  // blocking connect
  return ::connect(fd->get(), a.get(), a.length) == 0;
}

struct Output {
  int code;
  std::string out;
};

class Deploy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "starting a test sshd needs root";
    if (::access("/usr/sbin/sshd", X_OK) != 0) GTEST_SKIP() << "no /usr/sbin/sshd (openssh-server)";
    dir_ = *process::MakeTempDir("salvo-deploy-test-");
    ASSERT_EQ(std::system(absl::StrCat("ssh-keygen -q -t ed25519 -N '' -f ", dir_,
                                       "/host_key && ssh-keygen -q -t ed25519 -N '' -f ", dir_,
                                       "/id && cp ", dir_, "/id.pub ", dir_,
                                       "/authorized_keys && mkdir -p /run/sshd")
                              .c_str()),
              0);
    ssh_port_ = FreePort();
    std::ofstream(dir_ + "/sshd_config")
        << "Port " << ssh_port_ << "\nListenAddress 127.0.0.1\nListenAddress ::1\n"
        << "HostKey " << dir_ << "/host_key\n"
        << "AuthorizedKeysFile " << dir_ << "/authorized_keys\n"
        << "PermitRootLogin prohibit-password\n"
        << "PasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\nUsePAM no\n"
        << "StrictModes no\nPidFile " << dir_ << "/sshd.pid\n"
        << "Subsystem sftp /usr/lib/openssh/sftp-server\n";
    absl::StatusOr<Child> sshd = Child::Spawn(
        "/usr/sbin/sshd", {"-D", "-e", "-f", dir_ + "/sshd_config"}, dir_ + "/sshd.log");
    ASSERT_TRUE(sshd.ok()) << sshd.status();
    sshd_ = std::make_unique<Child>(std::move(*sshd));
    ASSERT_TRUE(testing::WaitFor([&] { return Listening(ssh_port_); }, absl::Seconds(10)))
        << testing::ReadFile(dir_ + "/sshd.log");
    std::ofstream(dir_ + "/hosts")
        << "# the test's own sshd\n\nroot@127.0.0.1:" << ssh_port_ << "\n";
  }
  void TearDown() override {
    if (dir_.empty()) return;
    const std::string pid = testing::ReadFile(dir_ + "/remote/agent.pid");
    if (!pid.empty()) std::system(("kill " + pid + " 2>/dev/null").c_str());
    if (sshd_) sshd_->Terminate(absl::Seconds(3));
    std::system(("rm -rf " + dir_).c_str());
  }
  Output Salvo(const std::vector<std::string>& args) {
    const std::string log = dir_ + "/salvo.out";
    Child c = *Child::Spawn(Binary("salvo"), args, log);
    Output o{c.Wait(absl::Seconds(60)), ""};
    o.out = testing::ReadFile(log);
    return o;
  }
  std::vector<std::string> DeployArgs(uint16_t agent_port) {
    return {"deploy",
            "--hosts",
            dir_ + "/hosts",
            "--ssh-key",
            dir_ + "/id",
            "--known-hosts",
            dir_ + "/known_hosts",
            "--remote-dir",
            dir_ + "/remote",
            "--agent-args",
            absl::StrCat("--listen 127.0.0.1:", agent_port)};
  }

  std::string dir_;
  uint16_t ssh_port_ = 0;
  std::unique_ptr<Child> sshd_;
};

TEST_F(Deploy, CopiesStartsAndStopsTheAgentOverSsh) {
  const uint16_t agent_port = FreePort();
  const Output deployed = Salvo(DeployArgs(agent_port));
  EXPECT_EQ(deployed.code, 0) << deployed.out << testing::ReadFile(dir_ + "/sshd.log");
  EXPECT_TRUE(absl::StrContains(
      deployed.out, absl::StrCat("root@127.0.0.1:", ssh_port_, "  deployed: salvo-agent ",
                                 SALVO_VERSION, " at 127.0.0.1:", agent_port)))
      << deployed.out;
  EXPECT_EQ(::access((dir_ + "/remote/salvo-agent").c_str(), X_OK), 0);

  const Output probe = Salvo({"agents", "--agents", absl::StrCat("127.0.0.1:", agent_port)});
  EXPECT_EQ(probe.code, 0) << probe.out;
  EXPECT_TRUE(absl::StrContains(probe.out, "reachable")) << probe.out;
  EXPECT_TRUE(absl::StrContains(probe.out, "clock offset")) << probe.out;

  std::vector<std::string> stop = DeployArgs(agent_port);
  stop.push_back("--stop");
  const Output stopped = Salvo(stop);
  EXPECT_EQ(stopped.code, 0) << stopped.out;
  EXPECT_TRUE(absl::StrContains(stopped.out, "stopped")) << stopped.out;
  EXPECT_TRUE(testing::WaitFor([&] { return !Listening(agent_port); }, absl::Seconds(3)));
}

TEST_F(Deploy, AnIpv6HostInBracketsIsReachedBySshAndScp) {
  if (!Listening(ssh_port_, /*v6=*/true)) GTEST_SKIP() << "no IPv6 loopback for sshd";
  std::ofstream(dir_ + "/hosts") << "root@[::1]:" << ssh_port_ << "\n";
  const uint16_t agent_port = FreePort();
  const Output deployed = Salvo(DeployArgs(agent_port));
  EXPECT_EQ(deployed.code, 0) << deployed.out << testing::ReadFile(dir_ + "/sshd.log");
  EXPECT_TRUE(absl::StrContains(deployed.out,
                                absl::StrCat("root@[::1]:", ssh_port_, "  deployed: salvo-agent")))
      << deployed.out;
  std::vector<std::string> stop = DeployArgs(agent_port);
  stop.push_back("--stop");
  EXPECT_EQ(Salvo(stop).code, 0);
}

TEST_F(Deploy, AnUnreachableHostIsReportedOnItsLine) {
  std::ofstream(dir_ + "/hosts", std::ios::app) << "root@127.0.0.1:1\n";
  const Output o = Salvo(DeployArgs(FreePort()));
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_TRUE(absl::StrContains(o.out, "root@127.0.0.1:1  error: ssh:")) << o.out;
  EXPECT_TRUE(absl::StrContains(o.out, "deployed")) << o.out;  // the good host still is
}

TEST(DeployHosts, ParsesUsersPortsAndComments) {
  const std::string path = *process::MakeTempDir("salvo-hosts-") + "/hosts";
  std::ofstream(path)
      << "# lab\nalice@load1:2222\n  load2  # default port\n[::1]:22\nbob@[fe80::1]:2200\n";
  absl::StatusOr<std::vector<DeployHost>> hosts = ParseHostsFile(path);
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  ASSERT_EQ(hosts->size(), 4u);
  EXPECT_EQ((*hosts)[0].user, "alice");
  EXPECT_EQ((*hosts)[0].host, "load1");
  EXPECT_EQ((*hosts)[0].ssh_port, 2222);
  EXPECT_EQ((*hosts)[1].host, "load2");
  EXPECT_EQ((*hosts)[1].ssh_port, 22);
  EXPECT_EQ((*hosts)[2].host, "::1");
  EXPECT_EQ((*hosts)[3].user, "bob");
  EXPECT_EQ((*hosts)[3].ssh_port, 2200);
  std::ofstream(path) << "load1:notaport\n";
  EXPECT_FALSE(ParseHostsFile(path).ok());
  std::ofstream(path) << "# nothing\n";
  EXPECT_FALSE(ParseHostsFile(path).ok());
  // What ssh would take as an option, or split into several arguments, is refused.
  for (const char* bad :
       {"-oProxyCommand=x\n", "a b\n", "@host\n", "-l@host\n", "h'x\n", "[::1\n", "::1]:22\n"}) {
    EXPECT_FALSE(ParseHosts(bad, "test").ok()) << bad;
  }
  ASSERT_TRUE(ParseHosts("::1\n", "test").ok());
  EXPECT_EQ((*ParseHosts("::1\n", "test"))[0].host, "::1");
  EXPECT_EQ((*ParseHosts("root@[::1]:2200\n", "test"))[0].Display(), "root@[::1]:2200");
}

}  // namespace
}  // namespace salvo::controller
