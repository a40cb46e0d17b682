#include "deploy/deploy.h"

#include <sys/stat.h>
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
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "auth/credentials.h"
#include "controller/probe.h"
#include "net/address.h"
#include "process/child.h"
#include "status/status_macros.h"

namespace salvo::deploy {
namespace {

constexpr char kEtc[] = "/etc/salvo";
constexpr char kDropIn[] = "/etc/systemd/system/salvo-agent.service.d/deploy-tls.conf";
constexpr char kUnit[] = "salvo-agent.service";
constexpr char kDefaultListen[] = "0.0.0.0:7100";
// How hard --status and deploy try before saying an agent does not answer: a live agent on a
// loaded host missed one probe in a few.
constexpr int kIdentifyAttempts = 3;
constexpr absl::Duration kIdentifyPause = absl::Milliseconds(300);
constexpr absl::Duration kIdentifyPatience = absl::Seconds(3);

struct CommandResult {
  int code = -1;
  std::string output;  // everything the command printed
  std::string reason;  // the line that says why it failed
};

// apt's and dpkg's error lines say why when there are any; otherwise ssh and the shell put the
// reason on their last line.
std::string ReasonLine(const std::string& output) {
  std::string last, error;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipWhitespace())) {
    line = absl::StripAsciiWhitespace(line);
    last = std::string(line);
    if (error.empty() && (absl::StartsWith(line, "E: ") || absl::StartsWith(line, "dpkg: error"))) {
      error = std::string(line);
    }
  }
  return error.empty() ? last : error;
}

// Runs ssh to completion within `timeout`, its standard input from `in_path`, capturing its
// output.
CommandResult RunLocal(const std::string& binary, const std::vector<std::string>& args,
                       const std::string& in_path, absl::Duration timeout) {
  CommandResult r;
  absl::StatusOr<std::string> dir = process::MakeTempDir("salvo-deploy-");
  if (!dir.ok()) {
    r.reason = std::string(dir.status().message());
    return r;
  }
  const std::string log = *dir + "/out";
  absl::StatusOr<process::Child> child = process::Child::Spawn(binary, args, log, "", in_path);
  if (!child.ok()) {
    r.reason = std::string(child.status().message());
  } else {
    r.code = child->Wait(timeout);
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    r.output = text.str();
    if (r.code == -1) {
      child->Kill();
      r.reason = absl::StrCat("ssh did not finish within ", absl::FormatDuration(timeout));
    } else {
      r.reason = ReasonLine(r.output);
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

std::string QuoteAll(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) absl::StrAppend(&s, s.empty() ? "" : " ", Quote(w));
  return s;
}

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || absl::StartsWith(host, "127.");
}

// The agent's arguments as words, with --listen added when absent.
std::vector<std::string> AgentWords(const DeployConfig& c) {
  std::vector<std::string> words = absl::StrSplit(c.agent_args, ' ', absl::SkipWhitespace());
  const bool listens = std::any_of(words.begin(), words.end(), [](const std::string& w) {
    return w == "--listen" || absl::StartsWith(w, "--listen=");
  });
  if (!listens) words.insert(words.begin(), {"--listen", kDefaultListen});
  return words;
}

// Where the controller will find the agent: its --listen, with a wildcard replaced by the
// host's own address. A loopback --listen is reachable only when the host is this machine.
absl::StatusOr<std::string> AgentAddress(const std::vector<std::string>& words,
                                         const DeployHost& h) {
  std::string listen;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "--listen" && i + 1 < words.size()) listen = words[i + 1];
    if (absl::StartsWith(words[i], "--listen=")) listen = words[i].substr(9);
  }
  std::string host;
  uint16_t port = 0;
  if (absl::Status s = net::SplitHostPort(listen, &host, &port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--agent-args --listen: ", s.message()));
  }
  if (host == "0.0.0.0" || host == "::" || host.empty()) return net::JoinHostPort(h.host, port);
  if (IsLoopbackHost(host) && !IsLoopbackHost(h.host)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the agent would listen on ", listen, ", loopback on ", h.host,
                     ", where the controller cannot reach it: pass --agent-args \"--listen ",
                     kDefaultListen, " ...\""));
  }
  return net::JoinHostPort(host, port);
}

std::string ForHost(const std::string& path, const DeployHost& h) {
  return absl::StrReplaceAll(path, {{"{host}", h.host}});
}

// The TLS files the agent gets, each as (local file, name on the host, agent flag).
struct TlsFile {
  std::string local;
  std::string name;
  std::string flag;
  std::string credential;
};
std::vector<TlsFile> TlsFiles(const DeployConfig& c, const DeployHost& h) {
  std::vector<TlsFile> files;
  if (!c.agent_tls_cert.empty()) {
    files.push_back({ForHost(c.agent_tls_cert, h), "tls-cert.pem", "--tls-cert", "tls-cert"});
    files.push_back({ForHost(c.agent_tls_key, h), "tls-key.pem", "--tls-key", "tls-key"});
  }
  if (!c.agent_tls_ca.empty()) {
    files.push_back({ForHost(c.agent_tls_ca, h), "tls-ca.pem", "--tls-ca", "tls-ca"});
  }
  return files;
}

// One host's deployment, over ssh alone.
class Remote {
 public:
  Remote(const DeployConfig& c, const DeployHost& h, std::string scratch)
      : c_(c), h_(h), scratch_(std::move(scratch)), dir_(Quote(c.remote_dir)) {}

  // Runs `script` in the login's shell, with $S set to "sudo -n" unless the login is root.
  CommandResult Ssh(const std::string& script, const std::string& in_path = "/dev/null") const {
    std::vector<std::string> args = {
        "-o", "BatchMode=yes",  "-o", "ConnectTimeout=10",
        "-o", "LogLevel=ERROR", "-o", "StrictHostKeyChecking=accept-new"};
    if (!c_.known_hosts.empty()) {
      args.insert(args.end(), {"-o", "UserKnownHostsFile=" + c_.known_hosts});
    }
    if (!c_.ssh_key.empty()) args.insert(args.end(), {"-i", c_.ssh_key});
    args.insert(args.end(), {"-p", absl::StrCat(h_.ssh_port), "--",
                             h_.user.empty() ? h_.host : h_.user + "@" + h_.host});
    args.push_back(
        absl::StrCat("if [ \"$(id -u)\" = 0 ]; then S=; else S='sudo -n'; fi; ", script));
    return RunLocal("/usr/bin/ssh", args, in_path, c_.timeout);
  }

  // Streams a local file to `path` on the host (through a temporary name and a rename, so a
  // broken copy never replaces a good file) with `mode`; as root when `root`. Needs only sh and
  // cat on the host: no sftp-server, no scp.
  CommandResult Put(const std::string& local, const std::string& path, const char* mode,
                    bool root) const {
    const std::string put =
        absl::StrCat("umask 077 && mkdir -p \"$(dirname \"$1\")\" && cat > \"$1.part\" && chmod ",
                     mode, " \"$1.part\" && mv -f \"$1.part\" \"$1\"");
    return Ssh(absl::StrCat(root ? "$S " : "", "sh -c ", Quote(put), " put ", Quote(path)), local);
  }
  CommandResult PutText(const std::string& text, const std::string& path, const char* mode,
                        bool root) const {
    const std::string local = absl::StrCat(scratch_, "/", h_.host, "-", h_.ssh_port, "-text");
    {
      std::ofstream out(local, std::ios::trunc);
      out << text;
    }
    ::chmod(local.c_str(), 0600);
    CommandResult r = Put(local, path, mode, root);
    std::remove(local.c_str());
    return r;
  }

  // Stops an agent this command started detached before, and the package's unit.
  std::string StopScript(bool unit) const {
    std::string s = absl::StrCat("if [ -f ", dir_, "/agent.pid ]; then P=$(cat ", dir_,
                                 "/agent.pid); kill \"$P\" 2>/dev/null || $S kill \"$P\" "
                                 "2>/dev/null; $S rm -f ",
                                 dir_, "/agent.pid; echo stopped:detached; ");
    if (unit) {
      absl::StrAppend(&s, "elif [ -d /run/systemd/system ] && systemctl is-active --quiet ", kUnit,
                      "; then $S systemctl disable --now --quiet ", kUnit,
                      " && echo stopped:unit; ");
    }
    return s + "else echo no agent deployed here; exit 3; fi";
  }

  // Prints "running (pid N)" or "running (systemd unit, pid N)" and exits 0, or prints "not
  // running" and exits 3.
  std::string StateScript() const {
    return absl::StrCat(
        "if [ -f ", dir_, "/agent.pid ] && [ -d /proc/$(cat ", dir_,
        "/agent.pid) ]; then echo \"running (pid $(cat ", dir_,
        "/agent.pid))\"; elif [ -d /run/systemd/system ] && systemctl is-active --quiet ", kUnit,
        "; then echo \"running (systemd unit, pid $(systemctl show -p MainPID --value ", kUnit,
        "))\"; else echo 'not running'; exit 3; fi");
  }

  // The pid a StateScript line names; 0 when none.
  static uint32_t PidOf(absl::string_view state) {
    const size_t at = state.rfind("pid ");
    if (at == absl::string_view::npos) return 0;
    absl::string_view digits = state.substr(at + 4);
    digits = digits.substr(0, digits.find(')'));
    uint32_t pid = 0;
    return absl::SimpleAtoi(digits, &pid) ? pid : 0;
  }

  // Asks what answers at `address` until `deadline` (at least kIdentifyAttempts times): the
  // agent whose pid is `pid`, or why not. An agent busy starting, or a probe lost on a loaded
  // host, answers on a later try; an agent that answers with another pid is another agent.
  struct Identified {
    bool ours = false;
    std::string text;  // "answers at A: salvo-agent V" or why not
    v1::InfoResponse info;
  };
  Identified Identify(const std::string& address, uint32_t pid, absl::Time deadline) const {
    Identified id;
    for (int attempt = 0; attempt < kIdentifyAttempts || absl::Now() < deadline; ++attempt) {
      if (attempt > 0) absl::SleepFor(kIdentifyPause);
      const std::vector<driver::AgentProbe> p = controller::ProbeAgents({address}, c_.security);
      if (!p[0].reachable) {
        id.text = absl::StrCat("does not answer at ", address, ": ", p[0].error);
        continue;
      }
      const v1::InfoResponse& info = p[0].info;
      if (pid != 0 && info.pid() != 0 && info.pid() != pid) {
        id.text = absl::StrCat("another agent answers at ", address, " (salvo-agent ",
                               info.version(), ", pid ", info.pid(), " on ", info.hostname(),
                               "), not the one running here (pid ", pid, ")");
        continue;
      }
      id.ours = true;
      id.text = absl::StrCat("answers at ", address, ": salvo-agent ", info.version());
      id.info = info;
      return id;
    }
    return id;
  }

  std::string LastLogLine() const {
    return Ssh(absl::StrCat("if [ -f ", dir_, "/agent.pid ]; then tail -n 1 ", dir_,
                            "/agent.log; else $S journalctl -u ", kUnit,
                            " -n 1 --no-pager -o cat; fi"))
        .reason;
  }

  std::string Deploy(const std::vector<std::string>& words, const std::string& address) const {
    const bool package = !c_.package.empty();
    CommandResult r = Ssh(absl::StrCat("mkdir -p ", dir_, " && chmod 700 ", dir_, " && ( ",
                                       StopScript(/*unit=*/false), " ) >/dev/null; true"));
    if (r.code != 0) return absl::StrCat("error: ssh: ", r.reason);

    const std::string etc = package ? kEtc : c_.remote_dir;
    std::vector<std::string> command = {package ? "/usr/bin/salvo-agent" : "./salvo-agent"};
    if (!c_.security.token.empty()) {
      r = PutText(c_.security.token + "\n", etc + "/token", "600", package);
      if (r.code != 0) return absl::StrCat("error: copying the token: ", r.reason);
      command.insert(command.end(), {"--token-file", etc + "/token"});
    }
    // The same files for systemd: loaded as credentials, named on the agent's command line.
    std::string credentials, credential_flags;
    for (const TlsFile& f : TlsFiles(c_, h_)) {
      r = Put(f.local, etc + "/" + f.name, "600", package);
      if (r.code != 0) return absl::StrCat("error: copying ", f.local, ": ", r.reason);
      command.insert(command.end(), {f.flag, etc + "/" + f.name});
      absl::StrAppend(&credentials, "LoadCredential=", f.credential, ":", etc, "/", f.name, "\n");
      absl::StrAppend(&credential_flags, " ", f.flag, " ${CREDENTIALS_DIRECTORY}/", f.credential);
    }
    if (package) {
      r = Put(c_.package, c_.remote_dir + "/salvo.deb", "600", false);
      if (r.code != 0) return absl::StrCat("error: copying the package: ", r.reason);
      // apt-get brings the libraries the package depends on; --reinstall replaces a build of
      // the same version; the admin's /etc/default/salvo-agent is kept.
      r = Ssh(absl::StrCat(
          "cd ", dir_,
          " && if command -v apt-get >/dev/null; then $S env "
          "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "
          "--no-install-recommends -o Dpkg::Options::=--force-confold \"$PWD/salvo.deb\"; "
          "else $S dpkg -i --force-confold salvo.deb; fi"));
      if (r.code != 0) return absl::StrCat("error: installing the package: ", r.reason);
      r = PutText(absl::StrCat("# Written by salvo deploy.\nSALVO_AGENT_ARGS=\"",
                               absl::StrJoin(words, " "), "\"\n"),
                  "/etc/default/salvo-agent", "644", true);
      if (r.code != 0) return absl::StrCat("error: writing /etc/default/salvo-agent: ", r.reason);
      // Under systemd the TLS files reach the dynamic user as credentials, like the token.
      if (credentials.empty()) {
        r = Ssh(absl::StrCat("$S rm -f ", kDropIn));
      } else {
        r = PutText(absl::StrCat("# Written by salvo deploy: the agent's TLS files.\n[Service]\n",
                                 credentials,
                                 "ExecStart=\nExecStart=/usr/bin/salvo-agent --token-file "
                                 "${CREDENTIALS_DIRECTORY}/token",
                                 credential_flags, " $SALVO_AGENT_ARGS\n"),
                    kDropIn, "644", true);
      }
      if (r.code != 0) return absl::StrCat("error: the unit's TLS drop-in: ", r.reason);
    } else {
      r = Put(c_.agent_binary, c_.remote_dir + "/salvo-agent", "700", false);
      if (r.code != 0) return absl::StrCat("error: copying ", c_.agent_binary, ": ", r.reason);
    }

    command.insert(command.end(), words.begin(), words.end());
    // Detached: every standard stream redirected, so that the ssh session ends at once.
    const std::string detached =
        absl::StrCat("cd ", dir_, " && ", package ? "$S " : "",
                     "sh -c 'nohup \"$@\" > agent.log 2>&1 < /dev/null & echo $! > agent.pid' "
                     "start ",
                     QuoteAll(command), " && echo started:detached");
    if (package) {
      r = Ssh(absl::StrCat("if [ -d /run/systemd/system ]; then $S systemctl daemon-reload && ",
                           "$S systemctl enable --quiet ", kUnit, " && $S systemctl restart ",
                           kUnit, " && echo started:unit; else ", detached, "; fi"));
    } else {
      r = Ssh(detached);
    }
    if (r.code != 0) return absl::StrCat("error: starting the agent: ", r.reason);
    const std::string how =
        absl::StrContains(r.output, "started:unit")
            ? "package, systemd unit"
            : (package ? "package, detached: no systemd on the host" : "binary, detached");

    // What answers must be the agent just started, not an older one that holds the port while
    // ours exited: the pid it gives is the one running here.
    const absl::Time deadline = absl::Now() + c_.timeout;
    Identified id;
    while (!id.ours && absl::Now() < deadline) {
      const CommandResult state = Ssh(StateScript());
      if (state.code == 3) {
        const std::string log = LastLogLine();
        return absl::StrCat("error: the agent started here exited (",
                            log.empty() ? state.reason : log, ")");
      }
      if (state.code != 0) return absl::StrCat("error: ssh: ", state.reason);
      id = Identify(address, PidOf(state.output),
                    std::min(deadline, absl::Now() + absl::Seconds(2)));
    }
    if (id.ours) {
      return absl::StrCat("deployed: salvo-agent ", id.info.version(), " at ", address, " (host ",
                          id.info.hostname(), ", ", id.info.cores(), " cores; ", how, ")");
    }
    const std::string log = LastLogLine();
    return absl::StrCat("error: the agent started but ", id.text,
                        log.empty() ? "" : absl::StrCat(" (", log, ")"));
  }

  std::string Stop() const {
    const CommandResult r = Ssh(StopScript(/*unit=*/true));
    if (r.code != 0) return absl::StrCat("error: ", r.reason);
    return absl::StrContains(r.output, "stopped:unit") ? "stopped (systemd unit disabled)"
                                                       : "stopped";
  }

  // Whether the agent runs on the host and answers at `address`.
  std::string Status(const std::string& address) const {
    const CommandResult state = Ssh(StateScript());
    if (state.code != 0 && state.code != 3) return absl::StrCat("error: ssh: ", state.reason);
    // Not running here: whatever answers is someone else's (and a stale pid file is no pid).
    const Identified id = Identify(address, state.code == 0 ? PidOf(state.output) : 0,
                                   absl::Now() + kIdentifyPatience);
    return absl::StrCat(state.code == 0 && id.ours ? "" : "error: ", state.reason, "; ", id.text);
  }

 private:
  const DeployConfig& c_;
  const DeployHost& h_;
  const std::string scratch_;
  const std::string dir_;  // quoted for the remote shell
};

// Bad usage caught before any host is touched; empty when the config is fine.
std::string CheckConfig(const DeployConfig& c, const std::vector<DeployHost>& hosts) {
  const auto readable = [](const std::string& path) { return ::access(path.c_str(), R_OK) == 0; };
  if (c.stop || c.status) {
    if (c.stop && c.status) return "--stop and --status exclude each other";
    return "";
  }
  if (c.package.empty() == !c.binary) {
    return c.binary ? "--package and --binary exclude each other"
                    : "say what to install: --package FILE (the salvo .deb) or --binary (copy "
                      "salvo-agent only; it runs only where the same libraries are installed)";
  }
  if (!c.package.empty()) {
    std::ifstream in(c.package, std::ios::binary);
    char magic[8] = {};
    if (!in.read(magic, sizeof magic) || std::string(magic, sizeof magic) != "!<arch>\n") {
      return absl::StrCat("--package ", c.package, " is not a Debian package (.deb)");
    }
    if (c.security.token.empty()) {
      return "--package needs --token-file: the unit passes the token to the agent, and the "
             "token is copied to each host with mode 0600";
    }
  } else if (!readable(c.agent_binary)) {
    return absl::StrCat("--agent-binary ", c.agent_binary, " cannot be read");
  }
  if (c.agent_tls_cert.empty() != c.agent_tls_key.empty()) {
    return "--agent-tls-cert and --agent-tls-key go together";
  }
  for (const DeployHost& h : hosts) {
    for (const TlsFile& f : TlsFiles(c, h)) {
      if (!readable(f.local))
        return absl::StrCat("the agent's TLS file ", f.local, " cannot be read");
    }
  }
  for (const std::string& w : AgentWords(c)) {
    for (const char* flag :
         {"--token-file", "--tls-cert", "--tls-key", "--tls-ca", "--port-file"}) {
      if (w == flag || absl::StartsWith(w, absl::StrCat(flag, "="))) {
        return absl::StrCat(
            "--agent-args: leave ", flag,
            " to salvo deploy (--token-file, --agent-tls-cert, --agent-tls-key, --agent-tls-ca "
            "copy the files to each host)");
      }
    }
    // The words end up in /etc/default/salvo-agent, where quotes and backslashes would change
    // their meaning.
    if (std::any_of(w.begin(), w.end(), [](char ch) {
          return ch == '"' || ch == '\'' || ch == '\\' || ch == '$' || ch == '`' ||
                 absl::ascii_iscntrl(ch);
        })) {
      return absl::StrCat("--agent-args: '", absl::CHexEscape(w),
                          "' has a quote, backslash, $ or control character");
    }
  }
  return "";
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
  SALVO_ASSIGN_OR_RETURN(const std::string contents,
                         auth::ReadFlagFile(path, "--hosts", size_t{1} << 20));
  return ParseHosts(contents, path);
}

int DeployCommand(const DeployConfig& config, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::vector<DeployHost>> hosts = ParseHostsFile(config.hosts_file);
  if (!hosts.ok()) {
    err << "salvo deploy: " << hosts.status().message() << "\n";
    return 2;
  }
  DeployConfig c = config;
  if (!c.agent_binary.empty()) c.binary = true;
  if (c.agent_binary.empty()) c.agent_binary = process::BinaryBeside("salvo-agent");
  if (const std::string bad = CheckConfig(c, *hosts); !bad.empty()) {
    err << "salvo deploy: " << bad << "\n";
    return 2;
  }
  const std::vector<std::string> words = AgentWords(c);
  std::vector<std::string> addresses(hosts->size());
  for (size_t i = 0; i < hosts->size(); ++i) {
    absl::StatusOr<std::string> a = AgentAddress(words, (*hosts)[i]);
    if (!a.ok()) {
      err << "salvo deploy: " << (*hosts)[i].Display() << ": " << a.status().message() << "\n";
      return 2;
    }
    addresses[i] = *a;
  }
  absl::StatusOr<std::string> scratch = process::MakeTempDir("salvo-deploy-");
  if (!scratch.ok()) {
    err << "salvo deploy: " << scratch.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> results(hosts->size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < hosts->size(); ++i) {
    threads.emplace_back([&, i] {
      const Remote remote(c, (*hosts)[i], *scratch);
      results[i] = c.stop     ? remote.Stop()
                   : c.status ? remote.Status(addresses[i])
                              : remote.Deploy(words, addresses[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  ::rmdir(scratch->c_str());
  int code = 0;
  std::vector<std::string> answering;
  for (size_t i = 0; i < hosts->size(); ++i) {
    out << (*hosts)[i].Display() << "  " << results[i] << "\n";
    if (absl::StartsWith(results[i], "error")) {
      code = 1;
    } else if (!c.stop) {
      answering.push_back(addresses[i]);
    }
  }
  // Ready to paste into salvo run.
  if (!answering.empty()) out << "--agents " << absl::StrJoin(answering, ",") << "\n";
  return code;
}

}  // namespace salvo::deploy
