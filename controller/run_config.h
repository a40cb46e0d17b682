// What `salvo run` was asked to do, as typed values, and the checks made before anything
// touches the network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "salvo/v1/agent.pb.h"
#include "workload/session.h"

namespace salvo::controller {

struct RunConfig {
  std::vector<std::string> agents;
  std::string target;
  workload::Kind workload = workload::Kind::kEcho;
  uint32_t connections = 1;
  uint64_t message_size = 64;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration interval = absl::Seconds(1);
  uint32_t pipeline = 1;
  bool verify = false;
  // Worker threads per agent; 0 means one per core of the agent.
  uint32_t threads = 0;
  std::string engine = "auto";
  std::string send_mode = "copy";
  // Requested SO_SNDBUF / SO_RCVBUF per socket; 0 keeps the kernel's default.
  uint64_t sndbuf = 0;
  uint64_t rcvbuf = 0;
  absl::Duration connect_timeout = absl::Seconds(5);
  std::string json_path;
  // Live lines on the terminal.
  bool live = true;
};

// Usage errors: caught before any agent is contacted, reported with exit code 2.
absl::Status Validate(const RunConfig& config);

v1::RunSpecSummary SpecSummary(const RunConfig& config);

// The spec one agent receives: its share of the connections and the common settings.
v1::RunSpec AgentSpec(const RunConfig& config, const std::string& agent, uint32_t connections);

}  // namespace salvo::controller
