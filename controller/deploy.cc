#include "controller/deploy.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "controller/probe.h"
#include "net/address.h"
#include "process/child.h"

namespace salvo::controller {
namespace {

struct CommandResult {
  int code = -1;
  std::string output;
};

// Runs a local command (ssh or scp) to completion within `timeout`, capturing its output.
CommandResult RunLocal(const std::string& binary, const std::vector<std::string>& args,
                       absl::Duration timeout) {
  CommandResult r;
  absl::StatusOr<std::string> dir = process::MakeTempDir("salvo-deploy-");
  if (!dir.ok()) {
    r.output = std::string(dir.status().message());
    return r;
  }
  const std::string log = *dir + "/out";
  absl::StatusOr<process::Child> child = process::Child::Spawn(binary, args, log);
  if (!child.ok()) {
    r.output = std::string(child.status().message());
  } else {
    r.code = child->Wait(timeout);
    if (r.code == -1) {
      child->Kill();
      r.output = absl::StrCat(binary, " did not finish within ", absl::FormatDuration(timeout));
    } else {
      std::ifstream in(log);
      std::string line, last;
      while (std::getline(in, line)) {
        if (!absl::StripAsciiWhitespace(line).empty()) last = std::string(line);
      }
      r.output = last;  // ssh and scp put the reason on their last line
    }
  }
  std::remove(log.c_str());
  ::rmdir(dir->c_str());
  return r;
}

// Single-quotes a word for the remote shell.
std::string Quote(absl::string_view word) {
  std::string q = "'";
  for (char c : word) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::vector<std::string> SshOptions(const DeployConfig& c, const DeployHost& h, bool scp) {
  std::vector<std::string> o = {
      "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=accept-new"};
  if (!c.known_hosts.empty()) o.insert(o.end(), {"-o", "UserKnownHostsFile=" + c.known_hosts});
  if (!c.ssh_key.empty()) o.insert(o.end(), {"-i", c.ssh_key});
  o.insert(o.end(), {scp ? "-P" : "-p", absl::StrCat(h.ssh_port)});
  return o;
}

// ssh takes an IPv6 address bare ("::1"); scp needs it in brackets to tell it from the path.
std::string Login(const DeployHost& h, bool for_scp) {
  const std::string host =
      for_scp && h.host.find(':') != std::string::npos ? "[" + h.host + "]" : h.host;
  return h.user.empty() ? host : h.user + "@" + host;
}

// Where the controller will find the agent: its --listen, with a wildcard replaced by the host.
std::string AgentAddress(const DeployConfig& c, const DeployHost& h) {
  std::string listen = "127.0.0.1:7100";
  const std::vector<std::string> args = absl::StrSplit(c.agent_args, ' ', absl::SkipWhitespace());
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--listen") listen = args[i + 1];
  }
  for (const std::string& a : args) {
    if (absl::StartsWith(a, "--listen=")) listen = a.substr(9);
  }
  std::string host;
  uint16_t port = 7100;
  if (!net::SplitHostPort(listen, &host, &port).ok()) return listen;
  if (host == "0.0.0.0" || host == "::" || host == "[::]") host = h.host;
  return net::JoinHostPort(host, port);
}

std::string DeployOne(const DeployConfig& c, const DeployHost& h) {
  const std::string dir = c.remote_dir;
  const auto ssh = [&](const std::string& remote_command) {
    std::vector<std::string> args = SshOptions(c, h, false);
    args.push_back(Login(h, /*for_scp=*/false));
    args.push_back(remote_command);
    return RunLocal("/usr/bin/ssh", args, c.timeout);
  };
  const std::string stop_old =
      absl::StrCat("if [ -f ", Quote(dir), "/agent.pid ]; then kill $(cat ", Quote(dir),
                   "/agent.pid) 2>/dev/null; rm -f ", Quote(dir), "/agent.pid; fi");
  if (c.stop) {
    const CommandResult r = ssh(absl::StrCat("test -f ", Quote(dir),
                                             "/agent.pid || { echo no "
                                             "agent deployed here; exit 3; }; ",
                                             stop_old));
    return r.code == 0 ? "stopped" : absl::StrCat("error: ", r.output);
  }
  CommandResult r = ssh(absl::StrCat("mkdir -p ", Quote(dir), " && ", stop_old));
  if (r.code != 0) return absl::StrCat("error: ssh: ", r.output);
  std::vector<std::string> scp = SshOptions(c, h, true);
  scp.push_back(c.agent_binary);
  scp.push_back(absl::StrCat(Login(h, /*for_scp=*/true), ":", dir, "/salvo-agent"));
  r = RunLocal("/usr/bin/scp", scp, c.timeout);
  if (r.code != 0) return absl::StrCat("error: scp: ", r.output);
  // Detached: every standard stream redirected, so the ssh session ends at once.
  r = ssh(absl::StrCat("cd ", Quote(dir), " && chmod +x salvo-agent && (nohup ./salvo-agent ",
                       c.agent_args, " > agent.log 2>&1 < /dev/null & echo $! > agent.pid)"));
  if (r.code != 0) return absl::StrCat("error: starting the agent: ", r.output);
  const std::string address = AgentAddress(c, h);
  const absl::Time deadline = absl::Now() + c.timeout;
  std::string last_error;
  while (absl::Now() < deadline) {
    const std::vector<AgentProbe> p = ProbeAgents({address}, c.security);
    if (p[0].reachable) {
      return absl::StrCat("deployed: salvo-agent ", p[0].info.version(), " at ", address, " (host ",
                          p[0].info.hostname(), ", ", p[0].info.cores(), " cores)");
    }
    last_error = p[0].error;
    absl::SleepFor(absl::Milliseconds(200));
  }
  const CommandResult log = ssh(absl::StrCat("tail -n 1 ", Quote(dir), "/agent.log"));
  return absl::StrCat("error: the agent started but does not answer at ", address, " (",
                      log.output.empty() ? last_error : log.output, ")");
}

}  // namespace

std::string DeployHost::Display() const {
  return absl::StrCat(user.empty() ? "" : user + "@",
                      ssh_port == 22 ? host : net::JoinHostPort(host, ssh_port));
}

absl::StatusOr<std::vector<DeployHost>> ParseHosts(absl::string_view contents,
                                                   absl::string_view origin) {
  std::vector<DeployHost> hosts;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const auto bad = [&] {
      return absl::InvalidArgumentError(absl::StrCat("--hosts ", origin, " line ", number, ": '",
                                                     absl::CHexEscape(line),
                                                     "' is not [user@]host[:sshport]"));
    };
    DeployHost h;
    if (const size_t at = text.find('@'); at != absl::string_view::npos) {
      h.user = std::string(text.substr(0, at));
      text = text.substr(at + 1);
      if (h.user.empty() || text.empty()) return bad();
    }
    std::string host = std::string(text);
    uint16_t port = 22;
    if (text.front() == '[' ||
        (text.find(':') != absl::string_view::npos && text.find(':') == text.rfind(':'))) {
      // host:port or [v6]:port; a bare IPv6 address has several colons and no brackets.
      if (!net::SplitHostPort(text, &host, &port).ok()) return bad();
    }
    if (host.find(':') != std::string::npos && !net::IsIpv6Literal(host)) return bad();
    const auto unsafe = [](char c) {
      return absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c) ||
             c == '@' || c == '[' || c == ']' || c == '\'' || c == '"';
    };
    if (host.empty() || host.front() == '-' || std::any_of(host.begin(), host.end(), unsafe) ||
        std::any_of(h.user.begin(), h.user.end(), unsafe) ||
        (!h.user.empty() && h.user.front() == '-')) {
      // A leading '-' would reach ssh as an option; quotes and spaces would split its arguments.
      return bad();
    }
    h.host = host;
    h.ssh_port = port;
    hosts.push_back(h);
  }
  if (hosts.empty())
    return absl::InvalidArgumentError(absl::StrCat("--hosts ", origin, " names no host"));
  return hosts;
}

absl::StatusOr<std::vector<DeployHost>> ParseHostsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--hosts: cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return ParseHosts(contents.str(), path);
}

int DeployCommand(const DeployConfig& config, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::vector<DeployHost>> hosts = ParseHostsFile(config.hosts_file);
  if (!hosts.ok()) {
    err << "salvo deploy: " << hosts.status().message() << "\n";
    return 2;
  }
  DeployConfig c = config;
  if (c.agent_binary.empty()) c.agent_binary = process::BinaryBeside("salvo-agent");
  if (!c.stop && ::access(c.agent_binary.c_str(), R_OK) != 0) {
    err << "salvo deploy: --agent-binary " << c.agent_binary << " cannot be read\n";
    return 2;
  }
  std::vector<std::string> results(hosts->size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < hosts->size(); ++i) {
    threads.emplace_back([&, i] { results[i] = DeployOne(c, (*hosts)[i]); });
  }
  for (std::thread& t : threads) t.join();
  int code = 0;
  for (size_t i = 0; i < hosts->size(); ++i) {
    out << (*hosts)[i].Display() << "  " << results[i] << "\n";
    if (absl::StartsWith(results[i], "error")) code = 1;
  }
  return code;
}

}  // namespace salvo::controller
