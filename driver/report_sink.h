// Where a run's figures go: the terminal's live lines and report, the JSON, CSV, hgrm and HTML
// files, the Prometheus endpoint. Each is one ReportSink (output/); the driver hands every sink
// the run's start and each merged interval as it completes, and the command hands them the
// finished report, in the order they were made.
//
//   class CountingSink final : public ReportSink {
//    public:
//     void OnInterval(const v1::IntervalPoint& merged, const IntervalParts&) override { ++n_; }
//     absl::Status OnReport(const v1::RunReport&) override { return absl::OkStatus(); }
//     int n_ = 0;
//   };
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "salvo/v1/report.pb.h"

namespace salvo::driver {

// Each agent's part of a merged interval: the agent's name and its interval, valid for the call.
using IntervalParts = std::vector<std::pair<std::string, const v1::Interval*>>;

class ReportSink {
 public:
  virtual ~ReportSink() = default;
  // Before the first agent is contacted: what the run was asked to do, over how many agents.
  virtual void OnStart(const v1::Scenario& spec, uint32_t agents) {}
  // An interval, once every agent still running has sent it: their merge and each one's part.
  // Called from the driver's thread; it must not block the run (no network waits).
  virtual void OnInterval(const v1::IntervalPoint& merged, const IntervalParts& parts) {}
  // The finished report. An error is one line for the user; the run then exits 1 and the sinks
  // after this one still get the report.
  virtual absl::Status OnReport(const v1::RunReport& report) = 0;
};

using ReportSinkPtr = std::unique_ptr<ReportSink>;

}  // namespace salvo::driver
