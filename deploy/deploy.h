// `salvo deploy`: install salvo-agent on test machines over the system's ssh (files travel on
// ssh's standard input, so hosts need neither sftp-server nor scp), start it, and wait until it
// answers on the host's own address; `--status` tells, `--stop` stops it again. Root or
// passwordless sudo on the host is needed for the package.
//
// Hosts file: one `[user@]host[:sshport]` per line; blank lines and `#` comments are ignored.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/channel.h"

namespace salvo::deploy {

struct DeployHost {
  std::string user;  // empty: ssh's default
  std::string host;
  uint16_t ssh_port = 22;
  std::string Display() const;
};

// The hosts named in `contents`; `origin` names the file in errors. A host or user that ssh
// could take for an option or that would split its arguments is refused.
absl::StatusOr<std::vector<DeployHost>> ParseHosts(absl::string_view contents,
                                                   absl::string_view origin);
absl::StatusOr<std::vector<DeployHost>> ParseHostsFile(const std::string& path);

struct DeployConfig {
  std::string hosts_file;
  std::string ssh_key;
  // The salvo .deb to install on each host (apt-get, so that missing libraries come along). The
  // agent then runs as the package's systemd unit, or detached where the host has no systemd.
  std::string package;
  // Instead: copy only the agent binary (it runs only where the same libraries are installed).
  bool binary = false;
  // With `binary`: the salvo-agent to copy; defaults to the one beside this salvo binary.
  std::string agent_binary;
  // Arguments for the remote agent, e.g. "--listen 0.0.0.0:7100 --allow-target 10.0.0.0/8".
  // Without --listen the agent listens on 0.0.0.0:7100.
  std::string agent_args;
  // The agent's TLS files, copied to each host with mode 0600; "{host}" in a path is replaced by
  // the host's name, for certificates made per host.
  std::string agent_tls_cert;
  std::string agent_tls_key;
  std::string agent_tls_ca;
  // Where the binary, the package, logs and the pid file live on the host (relative to the
  // login's home).
  std::string remote_dir = "salvo-agent";
  // A known_hosts file for ssh (host keys are accepted on first contact and checked after).
  std::string known_hosts;
  bool stop = false;
  bool status = false;
  absl::Duration timeout = absl::Seconds(20);
  // How the controller calls the agents; the token in it is copied to each host.
  auth::ControlSecurity security;
};

// One line per host, then the `--agents` list of the agents that answer; 0 when every host
// succeeded, 1 otherwise, 2 for bad usage.
int DeployCommand(const DeployConfig& config, std::ostream& out, std::ostream& err);

}  // namespace salvo::deploy
