// What `salvo run` was asked to do, as typed values, and the checks made before anything
// touches the network.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/credentials.h"
#include "driver/threshold.h"
#include "net/engine_factory.h"
#include "plan/policy.h"
#include "salvo/v1/agent.pb.h"
#include "salvo/v1/report.pb.h"
#include "workload/session.h"

namespace salvo::driver {

// Open loop: microseconds before each intended send time that a worker stops sleeping
// (--timer-spin). None by default: on the 2-core machine of bench/open_loop.sh, sleeping kept
// the generator's own lag p99 under 60 us at 20k msg/s, and spinning cost up to a fifth more CPU
// per message, taken from a target on the same host.
inline constexpr uint32_t kDefaultTimerSpinUs = 0;

struct RunConfig {
  std::vector<std::string> agents;
  // salvo-load: the one agent runs in this process and is named "local", not HOST:PORT.
  bool local = false;
  // One weight per agent (all 1 when empty): connections are split in these proportions.
  std::vector<double> agent_weights;
  // What a lost agent does to the run: continue (the report is partial) or abort.
  plan::LossPolicy on_agent_loss = plan::LossPolicy::kContinue;
  // The run fails when fewer agents than this remain (0: no minimum).
  uint32_t min_agents = 0;
  // Agents stop their load when they hear nothing from the controller for this long.
  // Long enough that a busy but healthy host keeps its agents; a controller that is killed or
  // whose connection breaks is noticed at once regardless.
  absl::Duration lease = absl::Seconds(10);
  std::string target;
  workload::Kind workload = workload::Kind::kEcho;
  uint32_t connections = 1;
  uint64_t message_size = 64;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration interval = absl::Seconds(1);
  uint32_t pipeline = 1;
  // rr: each request's bytes (from --request-file) and where each response ends: after
  // response_bytes, or at each response_until.
  std::string request;
  uint64_t response_bytes = 0;
  std::string response_until;
  // Open loop: messages per second over all agents (0: closed loop), spaced by `arrival`.
  double rate = 0;
  workload::Arrival arrival = workload::Arrival::kUniform;
  // Open loop with a changing rate, in place of `rate`: linear ramps from 0 to each stage's rate
  // over its duration (k6's model), counted from the start of the warm-up.
  struct Stage {
    absl::Duration duration;
    double rate = 0;
  };
  std::vector<Stage> stages;
  // Long-lived connections open at this many per second over all agents (0: all at once).
  double connect_rate = 0;
  // Open loop: how long before each intended send time a worker stops sleeping and polls.
  uint32_t timer_spin_us = kDefaultTimerSpinUs;
  // connect-rr: how each connection ends.
  workload::CloseMode close = workload::CloseMode::kFin;
  // Source addresses for every agent's connects ("127.0.0.2-127.0.0.40,10.0.0.0/30"; empty: the
  // kernel's choice), and lists for single agents that replace it (agent address to list).
  std::string source_ips;
  std::map<std::string, std::string> agent_source_ips;
  // Stream-out: a send carries as many whole messages as fit in 64 KiB (--coalesce on), or one.
  bool coalesce = true;
  bool verify = false;
  // Worker threads per agent; 0 means one per core of the agent.
  uint32_t threads = 0;
  net::EngineKind engine = net::EngineKind::kAuto;
  net::SendMode send_mode = net::SendMode::kCopy;
  // Requested SO_SNDBUF / SO_RCVBUF per socket; 0 keeps the kernel's default.
  uint64_t sndbuf = 0;
  uint64_t rcvbuf = 0;
  absl::Duration connect_timeout = absl::Seconds(5);
  // How long senders wait at the end for the peer to acknowledge what they sent.
  absl::Duration drain = absl::Seconds(2);
  // TCP_INFO sampled for at most this many connections per agent and interval.
  uint32_t tcp_info_sample = 10000;
  // Where the report's JSON goes ("-": standard output, the human report then going to standard
  // error) and the interval CSV.
  std::string json_path;
  std::string csv_path;
  // The merged round-trip distribution in HdrHistogram's percentile format (echo, rr,
  // connect-rr).
  std::string latency_hgrm_path;
  // The report as one self-contained HTML page.
  std::string html_path;
  // Pass/fail criteria; a failed one makes the run exit with status 4.
  std::vector<Threshold> thresholds;
  // Live lines on the terminal.
  bool live = true;
  // Prometheus: serve /metrics on this HOST:PORT during the run and for `metrics_linger` after.
  std::string metrics_listen;
  absl::Duration metrics_linger = absl::ZeroDuration();
  // Throughput in bits per second (--units bits) rather than decimal megabytes.
  bool bits = false;
  auth::ControlSecurity security;
};

// Usage errors: caught before any agent is contacted, reported with exit code 2.
absl::Status Validate(const RunConfig& config);

// "HOST:PORT[@WEIGHT],..." into agents and weights (1 where none is given).
absl::Status ParseAgentList(absl::string_view list, std::vector<std::string>* agents,
                            std::vector<double>* weights);

// One --source-ips value: "LIST" for every agent, or "AGENT=LIST" for one.
absl::Status AddSourceIps(absl::string_view value, RunConfig* config);

// "10s:1k,30s:50k,10s:0": stages of a duration and the rate (messages per second, with k, m or
// g for thousands, millions, billions) reached at their end.
absl::StatusOr<std::vector<RunConfig::Stage>> ParseStages(absl::string_view text);
// The stages as the user writes them.
std::string FormatStages(const google::protobuf::RepeatedPtrField<v1::Stage>& stages);

// How long opening the connections takes at config.connect_rate (zero without one).
absl::Duration ConnectRamp(const RunConfig& config);

// The weights to split by: config.agent_weights, or all 1.
std::vector<double> Weights(const RunConfig& config);

// The part every agent gets alike.
v1::LoadSpec LoadSpecOf(const RunConfig& config);

// What the report records as the run's spec and --print-scenario writes.
v1::Scenario ScenarioOf(const RunConfig& config);

// The inverse of ScenarioOf (both walk one list of fields), for --scenario: every field of the
// scenario into `config` (what the scenario leaves unspecified keeps its default); the rest of
// `config` is untouched. Fails on enum values this salvo does not know and on durations past the
// limits.
absl::Status ApplyScenarioToConfig(const v1::Scenario& summary, RunConfig* config);

// Reads a scenario file: a Scenario in the proto's JSON form, as --print-scenario and the
// report's "spec" write it. Unknown fields are errors, so a misspelt key is not silently ignored.
absl::StatusOr<v1::Scenario> ReadScenario(const std::string& path);

// The spec one agent receives: its share of the connections and the common settings.
v1::RunSpec AgentSpec(const RunConfig& config, const std::string& agent, uint32_t connections);

}  // namespace salvo::driver
