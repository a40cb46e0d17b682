// What users meet when they install salvo: the Debian package (built by the ctest fixture
// `package_deb` with cpack), the install rules, the systemd unit's hardening and the Ansible
// role. The package test installs the .deb into this machine with dpkg and purges it again.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "net/engine_factory.h"
#include "process/child.h"
#include "tests/test_util.h"

namespace salvo {
namespace {

using process::Child;
using testing::Binary;
using testing::ReadFile;

// Standard output and error together: these tools say what went wrong on either.
struct Output {
  int code = -1;
  std::string out;
};

Output RunIn(const std::string& dir, const std::string& program,
             const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(120)) {
  const testing::ToolOutput o = testing::RunTool(program, args, dir, timeout);
  return {o.code, o.out + o.err};
}

std::string Deb() {
  return absl::StrCat(SALVO_BINARY_DIR, "/deb/salvo_", SALVO_VERSION, "_amd64.deb");
}

class Packaging : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = *process::MakeTempDir("salvo-packaging-test-"); }
  void TearDown() override { testing::Sh("rm -rf " + dir_); }
  Output Tool(const std::string& program, const std::vector<std::string>& args) {
    return RunIn(dir_, program, args);
  }
  // Installs the build under dir_/usr and returns the unit's path there.
  std::string InstallUnderTemp() {
    const Output o =
        Tool("/usr/bin/cmake", {"--install", SALVO_BINARY_DIR, "--prefix", dir_ + "/usr"});
    EXPECT_EQ(o.code, 0) << o.out;
    return dir_ + "/usr/lib/systemd/system/salvo-agent.service";
  }
  std::string dir_;
};

TEST_F(Packaging, DebianPackageHoldsTheProgramsUnitManPagesAndDependsOnTheLibrariesTheyLink) {
  ASSERT_EQ(::access(Deb().c_str(), R_OK), 0) << Deb() << " (built by the package_deb test)";
  const Output files = Tool("/usr/bin/dpkg-deb", {"--contents", Deb()});
  ASSERT_EQ(files.code, 0) << files.out;
  for (const char* path :
       {"./usr/bin/salvo", "./usr/bin/salvo-agent", "./usr/bin/salvo-target",
        "./usr/lib/systemd/system/salvo-agent.service", "./etc/default/salvo-agent",
        "./usr/share/man/man1/salvo.1.gz", "./usr/share/man/man1/salvo-agent.1.gz",
        "./usr/share/man/man1/salvo-target.1.gz", "./usr/share/doc/salvo/user-guide.md"}) {
    EXPECT_TRUE(absl::StrContains(files.out, absl::StrCat(" ", path, "\n"))) << path << files.out;
  }
  // Nothing from the build machine's paths leaks into the package.
  EXPECT_FALSE(absl::StrContains(files.out, "/usr/local")) << files.out;
  EXPECT_FALSE(absl::StrContains(files.out, SALVO_BINARY_DIR)) << files.out;

  const Output depends = Tool("/usr/bin/dpkg-deb", {"--field", Deb(), "Depends"});
  ASSERT_EQ(depends.code, 0) << depends.out;
  // The runtime libraries, found by dpkg-shlibdeps; never the -dev packages the build used.
  for (const char* package :
       {"libgrpc++1.51", "libprotobuf32", "libabsl20220623", "liburing2", "libc6", "libstdc++6"}) {
    EXPECT_TRUE(absl::StrContains(depends.out, package)) << package << ": " << depends.out;
  }
  EXPECT_FALSE(absl::StrContains(depends.out, "-dev")) << depends.out;

  // The admin's options file is a conffile: an upgrade never overwrites an edited one.
  const Output conffiles = Tool("/usr/bin/dpkg-deb", {"--info", Deb(), "conffiles"});
  EXPECT_EQ(conffiles.out, "/etc/default/salvo-agent\n");
}

TEST_F(Packaging, DebianPackageInstallsRunsTheDemoAndPurgesCleanly) {
  ASSERT_EQ(::access(Deb().c_str(), R_OK), 0) << Deb() << " (built by the package_deb test)";
  if (::geteuid() != 0) GTEST_SKIP() << "dpkg -i needs root";
  const Output installed = Tool("/usr/bin/dpkg", {"-i", Deb()});
  ASSERT_EQ(installed.code, 0) << installed.out;

  const Output version = Tool("/usr/bin/salvo", {"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_TRUE(absl::StartsWith(version.out, absl::StrCat("salvo ", SALVO_VERSION))) << version.out;
  const Output agent_version = Tool("/usr/bin/salvo-agent", {"--version"});
  EXPECT_EQ(agent_version.out, version.out);
  // The demo finds the agent and the target beside /usr/bin/salvo.
  const Output demo = Tool("/usr/bin/salvo", {"demo", "--duration", "1s"});
  EXPECT_EQ(demo.code, 0) << demo.out;
  EXPECT_TRUE(absl::StrContains(demo.out, "status: ok")) << demo.out;

  // Each install gets its own token, readable by root only; the unit is there and not enabled.
  struct stat st;
  ASSERT_EQ(::stat("/etc/salvo/token", &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_GE(absl::StripAsciiWhitespace(ReadFile("/etc/salvo/token")).size(), 32u);
  EXPECT_NE(::access("/usr/lib/systemd/system/salvo-agent.service", R_OK), -1);
  EXPECT_EQ(::access("/etc/systemd/system/multi-user.target.wants/salvo-agent.service", F_OK), -1);
  // Slim container images tell dpkg to leave out man pages; then verify cannot look them up.
  const bool man_pages = testing::Sh(
                             "grep -qs '^path-exclude=/usr/share/man' "
                             "/etc/dpkg/dpkg.cfg.d/*") != 0;
  const Output verify =
      Tool("/usr/bin/systemd-analyze", {"verify", man_pages ? "--man=yes" : "--man=no",
                                        "/usr/lib/systemd/system/salvo-agent.service"});
  EXPECT_EQ(verify.code, 0) << verify.out;
  if (man_pages) {
    const Output man = Tool("/usr/bin/man", {"-w", "salvo-agent"});
    EXPECT_EQ(man.out, "/usr/share/man/man1/salvo-agent.1.gz\n");
  }

  // The admin's options survive an upgrade (a conffile), and a purge removes everything.
  std::ofstream("/etc/default/salvo-agent", std::ios::app) << "# edited by the test\n";
  EXPECT_EQ(Tool("/usr/bin/dpkg", {"-i", "--force-confold", Deb()}).code, 0);
  EXPECT_TRUE(absl::StrContains(ReadFile("/etc/default/salvo-agent"), "edited by the test"));
  const Output purged = Tool("/usr/bin/dpkg", {"--purge", "salvo"});
  EXPECT_EQ(purged.code, 0) << purged.out;
  for (const char* path :
       {"/usr/bin/salvo", "/usr/bin/salvo-agent", "/usr/lib/systemd/system/salvo-agent.service",
        "/etc/default/salvo-agent", "/etc/salvo"}) {
    EXPECT_EQ(::access(path, F_OK), -1) << path << " is still there after the purge";
  }
}

// The exposure score `systemd-analyze security` gives the installed unit (lower is better).
double ExposureScore(const std::string& text) {
  std::smatch m;
  static const std::regex kScore(R"(Overall exposure level for [^:]+: ([0-9.]+) )");
  if (!std::regex_search(text, m, kScore)) return 99;
  double score = 99;
  return absl::SimpleAtod(m[1].str(), &score) ? score : 99;
}

TEST_F(Packaging, InstalledUnitScoresOkOnSystemdSecurityAndVerifies) {
  const std::string unit = InstallUnderTemp();
  const Output security =
      Tool("/usr/bin/systemd-analyze", {"security", "--offline=true", "--no-pager", unit});
  ASSERT_EQ(security.code, 0) << security.out;
  EXPECT_LE(ExposureScore(security.out), 4.0) << security.out;
  // verify checks that ExecStart exists and that man finds the Documentation= pages.
  const Output verify =
      Tool("/usr/bin/env", {"MANPATH=" + dir_ + "/usr/share/man", "/usr/bin/systemd-analyze",
                            "verify", "--man=yes", unit});
  EXPECT_EQ(verify.code, 0) << verify.out;
  const std::string text = ReadFile(unit);
  for (const char* line : {"UMask=0077", "EnvironmentFile=-/etc/default/salvo-agent",
                           "LoadCredential=token:/etc/salvo/token", "CapabilityBoundingSet=\n",
                           "PrivateTmp=yes", "ProtectHome=yes", "ProtectSystem=strict"}) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line;
  }
}

// The unit's SystemCallFilter= and RestrictAddressFamilies=, expanded the way systemd does.
struct UnitFilter {
  std::set<std::string> allowed_calls;
  std::set<std::string> families;
};

std::set<std::string> ExpandGroup(const std::string& dir, const std::string& name) {
  if (name.empty() || name[0] != '@') return {name};
  std::set<std::string> calls;
  const Output o = RunIn(dir, "/usr/bin/systemd-analyze", {"syscall-filter", "--no-pager", name});
  for (absl::string_view line : absl::StrSplit(o.out, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line == name) continue;
    if (line[0] == '@') {
      for (const std::string& c : ExpandGroup(dir, std::string(line))) calls.insert(c);
    } else if (line.find(' ') == absl::string_view::npos) {
      calls.insert(std::string(line));
    }
  }
  return calls;
}

UnitFilter ReadUnitFilter(const std::string& dir, const std::string& unit_text) {
  UnitFilter f;
  std::set<std::string> denied;
  for (absl::string_view line : absl::StrSplit(unit_text, '\n')) {
    if (absl::ConsumePrefix(&line, "SystemCallFilter=")) {
      const bool deny = absl::ConsumePrefix(&line, "~");
      for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
        for (const std::string& c : ExpandGroup(dir, std::string(word))) {
          (deny ? denied : f.allowed_calls).insert(c);
        }
      }
    } else if (absl::ConsumePrefix(&line, "RestrictAddressFamilies=")) {
      for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
        f.families.insert(std::string(word));
      }
    }
  }
  for (const std::string& c : denied) f.allowed_calls.erase(c);
  return f;
}

// systemd is not PID 1 on every CI machine, so the filter is checked against what the agent
// really does: every system call and socket family of an agent under strace, while it drives
// runs on both engines and all three send modes, must pass the installed unit's filter.
TEST_F(Packaging, UnitSystemCallFilterAllowsEveryCallTheAgentMakesOnBothEngines) {
  if (::access("/usr/bin/strace", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/strace";
  if (!net::IoUringAvailable().ok()) GTEST_SKIP() << "this kernel lacks io_uring";
  const std::string unit = InstallUnderTemp();
  const UnitFilter filter = ReadUnitFilter(dir_, ReadFile(unit));
  ASSERT_TRUE(filter.allowed_calls.count("io_uring_setup")) << "io_uring is filtered out";
  ASSERT_GT(filter.allowed_calls.size(), 200u);

  std::ofstream(dir_ + "/token") << "packaging-test-token\n";
  absl::StatusOr<Child> target =
      Child::Spawn(Binary("salvo-target"),
                   {"--listen", "127.0.0.1:0", "--port-file", dir_ + "/target.port", "--quiet"},
                   dir_ + "/target.log");
  ASSERT_TRUE(target.ok());
  absl::StatusOr<Child> agent = Child::Spawn(
      "/usr/bin/strace",
      {"-f", "-qq", "-o", dir_ + "/trace", "--", Binary("salvo-agent"), "--listen", "127.0.0.1:0",
       "--port-file", dir_ + "/agent.port", "--token-file", dir_ + "/token"},
      dir_ + "/agent.log");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return !ReadFile(dir_ + "/agent.port").empty() && !ReadFile(dir_ + "/target.port").empty();
      },
      absl::Seconds(20)))
      << ReadFile(dir_ + "/agent.log");
  if (ReadFile(dir_ + "/trace").empty()) GTEST_SKIP() << "strace cannot trace here (no ptrace)";
  const std::string agent_address =
      "127.0.0.1:" + std::string(absl::StripAsciiWhitespace(ReadFile(dir_ + "/agent.port")));
  const std::string target_address =
      "127.0.0.1:" + std::string(absl::StripAsciiWhitespace(ReadFile(dir_ + "/target.port")));
  for (const auto& [engine, mode] : std::vector<std::pair<std::string, std::string>>{
           {"io_uring", "copy"}, {"io_uring", "uring-zc"}, {"epoll", "zerocopy"}}) {
    const Output run =
        Tool(Binary("salvo"), {"run", "--agents", agent_address, "--token-file", dir_ + "/token",
                               "--target", target_address, "--engine", engine, "--send-mode", mode,
                               "--connections", "4", "--warmup", "0s", "--duration", "1s"});
    EXPECT_EQ(run.code, 0) << engine << " " << mode << ": " << run.out;
  }
  // The agent is strace's child: stopping strace alone would detach and leave it running. Its
  // own SIGTERM ends it (and its shutdown's calls are traced too), then strace exits by itself.
  const std::string children =
      ReadFile(absl::StrCat("/proc/", agent->pid(), "/task/", agent->pid(), "/children"));
  int agent_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(children), &agent_pid)) << children;
  ::kill(agent_pid, SIGTERM);
  EXPECT_EQ(agent->Wait(absl::Seconds(20)), 0) << ReadFile(dir_ + "/agent.log");
  EXPECT_EQ(::kill(agent_pid, 0), -1);  // gone
  target->Terminate(absl::Seconds(5));

  std::set<std::string> calls, families;
  static const std::regex kCall(R"(^\d+\s+([a-z0-9_]+)\((.*))");
  std::istringstream trace(ReadFile(dir_ + "/trace"));
  for (std::string line; std::getline(trace, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, kCall)) continue;
    calls.insert(m[1].str());
    if (m[1].str() == "socket") families.insert(m[2].str().substr(0, m[2].str().find(',')));
  }
  ASSERT_TRUE(calls.count("io_uring_setup")) << "the io_uring engine never started";
  ASSERT_TRUE(calls.count("epoll_wait") || calls.count("epoll_pwait"));
  for (const std::string& c : calls) {
    EXPECT_TRUE(filter.allowed_calls.count(c)) << c << " is used by the agent and denied by "
                                               << "the unit's SystemCallFilter";
  }
  for (const std::string& f : families) {
    EXPECT_TRUE(filter.families.count(f)) << f << " is used by the agent and not in the unit's "
                                          << "RestrictAddressFamilies";
  }
}

TEST_F(Packaging, AnsibleRolePassesAnsibleSyntaxCheck) {
  if (::access("/usr/bin/ansible-playbook", X_OK) != 0) {
    GTEST_SKIP() << "no ansible-playbook (Debian's ansible-core)";
  }
  const std::string root = SALVO_SOURCE_DIR "/packaging/ansible";
  const Output o =
      Tool("/usr/bin/env",
           {"ANSIBLE_LOCAL_TEMP=" + dir_, "ANSIBLE_ROLES_PATH=" + root + "/roles",
            "/usr/bin/ansible-playbook", "--syntax-check", "-i", "localhost,", root + "/site.yml"});
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(absl::StrContains(o.out, "playbook: ")) << o.out;
}

}  // namespace
}  // namespace salvo
