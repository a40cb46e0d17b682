// --threshold: pass/fail criteria over named report figures, in the manner of k6's thresholds.
// A failed one makes `salvo run` exit with status 4.
//
//   absl::StatusOr<Threshold> t = ParseThreshold("round_trip.p99_us<2000");
//   ApplyThresholds({*t}, &report);   // fills report.thresholds
//
// The names: every counter and rate of the totals by its proto name (`bytes_delivered`,
// `completions_per_sec`), `errors` (all error counters), `<timing>.<p50_us|p90_us|p99_us|
// p999_us|mean_us|max_us>` (`round_trip.p99_us`), `fairness.<jain|starved_connections|
// connections_carrying_90pct>` and `measured_s`.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "salvo/v1/report.pb.h"

namespace salvo::driver {

struct Threshold {
  std::string expression;  // as given
  std::string field;
  std::string op;  // <, <=, >, >=, ==, !=
  double value = 0;
};

// A usage error names the valid fields when the field is unknown.
absl::StatusOr<Threshold> ParseThreshold(absl::string_view text);

// Whether a run with `load` measures the figure `t` names: a threshold on a figure the run does
// not measure (round_trip.* on stream-out, offered_per_sec on a closed loop) would pass or fail
// on a 0 that means nothing, so it is a usage error that says why.
absl::Status CheckThresholdMeasured(const Threshold& t, const v1::LoadSpec& load);

// Every field a threshold may name.
std::vector<std::string> ThresholdFields();

// The field's value in a finished report.
absl::StatusOr<double> ThresholdValue(const v1::RunReport& report, absl::string_view field);

void ApplyThresholds(const std::vector<Threshold>& thresholds, v1::RunReport* report);

}  // namespace salvo::driver
