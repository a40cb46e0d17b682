// The lines a person reads first: what went wrong in a run and when, from the merged interval
// series and the agents' results. Each line names its kind ("starved", "stall", "unfair",
// "generator-bound", "drain", ...), its time range and the figures behind it, and no line may
// fire on a healthy run.
//
// Besides the lines, the diagnosis says when the run did not do what was asked (the target
// closed or reset connections while it was measured, or every connection stalled at the end):
// those become the report's reasons and fail the run.
#pragma once

#include <string>
#include <vector>

#include "salvo/v1/report.pb.h"

namespace salvo::driver {

struct Diagnosis {
  std::vector<std::string> lines;
  std::vector<std::string> failures;
};

// `report` has its agents, totals, fairness and interval series filled in.
Diagnosis Diagnose(const v1::RunReport& report, double interval_s);

// A worker is the bottleneck when it waited for a CPU this share of an interval or more, or was
// on one this share or more.
inline constexpr double kGeneratorWaitShare = 0.10;
inline constexpr double kGeneratorCpuShare = 0.90;
// An open loop's unsent messages are the generator's fault, however busy its connections were,
// when a worker waited for a CPU this share of an interval or more (a milder wait cannot explain
// connections kept busy).
inline constexpr double kSaturatedWaitShare = 0.5;
// A run is unfair below this Jain index (over the whole run's delivered bytes).
inline constexpr double kUnfairJain = 0.90;

}  // namespace salvo::driver
