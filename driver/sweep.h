// `salvo sweep`: the origin notes' experiment as a command. Runs every combination of message
// size x send mode x connection count (x engine, x workload) through the same agents and target,
// each point with its own warm-up, then names the size at which zero-copy starts to beat copy.
//
//   SweepConfig s;
//   s.base = run_config;                       // agents, target, duration, warm-up, ...
//   s.sizes = {1024, 4096, 65536};
//   s.send_modes = {net::SendMode::kCopy, net::SendMode::kUringZc};
//   v1::SweepReport r = ExecuteSweep(s, hooks, access);
#pragma once

#include <compare>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "driver/run_config.h"
#include "driver/run_driver.h"
#include "salvo/v1/sweep.pb.h"

namespace salvo::driver {

struct SweepConfig {
  RunConfig base;
  std::vector<uint64_t> sizes;
  std::vector<net::SendMode> send_modes = {net::SendMode::kCopy};
  std::vector<uint32_t> connections;
  std::vector<net::EngineKind> engines = {net::EngineKind::kAuto};
  std::vector<workload::Kind> workloads = {workload::Kind::kStreamOut};
  // Runs per point; the point reports the median run with the spread of all of them.
  uint32_t repeat = 1;
  std::string json_path;
  std::string csv_path;
  std::string svg_path;
};

absl::Status ValidateSweep(const SweepConfig& config);

// Fills the sweep's axes from comma-separated flag values ("1k,4k", "copy,uring-zc", "1,10").
absl::Status ParseSweepLists(absl::string_view sizes, absl::string_view send_modes,
                             absl::string_view connections, absl::string_view engines,
                             absl::string_view workloads, SweepConfig* config);

// Runs every point; a failed point is kept and the sweep goes on. Progress goes to hooks.print.
// An interrupt ends the sweep after the point it stopped.
v1::SweepReport ExecuteSweep(const SweepConfig& config, const RunHooks& hooks,
                             const AgentAccess& access);

// The ok points of a sweep grouped for comparison: by workload, engine and connection count,
// then by send mode, then by message size.
struct SweepGroupKey {
  v1::Workload workload;
  v1::Engine engine;
  uint32_t connections;
  auto operator<=>(const SweepGroupKey&) const = default;
};
using SweepGroups =
    std::map<SweepGroupKey, std::map<v1::SendMode, std::map<uint64_t, const v1::SweepPoint*>>>;
SweepGroups GroupSweep(const v1::SweepReport& report);
// "stream-out, auto engine, 10 connections"
std::string GroupName(const SweepGroupKey& key);

// The crossover findings for a finished sweep (also stored in its `findings`).
std::vector<std::string> FindCrossovers(const v1::SweepReport& report);

}  // namespace salvo::driver
