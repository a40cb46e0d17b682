// `salvo deploy`: put salvo-agent on test machines over the system's ssh and scp, start it
// detached, and wait until it answers; `--stop` stops it again.
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

namespace salvo::controller {

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
  // Defaults to the salvo-agent beside this salvo binary.
  std::string agent_binary;
  // Arguments for the remote agent, e.g. "--listen 0.0.0.0:7100 --allow-target 10.0.0.0/8".
  std::string agent_args;
  // Where the agent, its log and pid file live on the host (relative to the login's home).
  std::string remote_dir = "salvo-agent";
  // A known_hosts file for ssh (host keys are accepted on first contact and checked after).
  std::string known_hosts;
  bool stop = false;
  absl::Duration timeout = absl::Seconds(20);
  ControlSecurity security;
};

// One line per host; 0 when every host succeeded, 1 otherwise, 2 for bad usage.
int DeployCommand(const DeployConfig& config, std::ostream& out, std::ostream& err);

}  // namespace salvo::controller
