#include "driver/threshold.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/report.h"
#include "metrics/figures.h"
#include "wire/figures.h"

namespace salvo::driver {
namespace {

constexpr const char* kSummaryStats[] = {"p50_us",  "p90_us",  "p95_us",    "p99_us",
                                         "p999_us", "mean_us", "stddev_us", "max_us"};
constexpr const char* kFairnessFields[] = {"jain", "starved_connections",
                                           "connections_carrying_90pct"};

double SummaryStat(const v1::LatencySummary& s, absl::string_view stat) {
  if (stat == "p50_us") return s.p50_us();
  if (stat == "p90_us") return s.p90_us();
  if (stat == "p95_us") return s.p95_us();
  if (stat == "stddev_us") return s.stddev_us();
  if (stat == "p99_us") return s.p99_us();
  if (stat == "p999_us") return s.p999_us();
  if (stat == "mean_us") return s.mean_us();
  return s.max_us();
}

}  // namespace

std::vector<std::string> ThresholdFields() {
  std::vector<std::string> out = {"errors", "measured_s"};
  for (const metrics::FigureInfo& f : metrics::kCounterInfo) out.emplace_back(f.name);
  for (const metrics::RateInfo& r : metrics::kRateInfo) out.emplace_back(r.figure.name);
  for (const metrics::FigureInfo& t : metrics::kTimingInfo) {
    for (const char* stat : kSummaryStats) out.push_back(absl::StrCat(t.name, ".", stat));
  }
  for (const char* f : kFairnessFields) out.push_back(absl::StrCat("fairness.", f));
  return out;
}

absl::StatusOr<Threshold> ParseThreshold(absl::string_view text) {
  Threshold t;
  t.expression = std::string(absl::StripAsciiWhitespace(text));
  const size_t at = t.expression.find_first_of("<>=!");
  if (at == std::string::npos || at == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--threshold '", t.expression, "': expected FIELD OP NUMBER, e.g. round_trip.p99_us<2000"));
  }
  size_t op_len = 1;
  if (at + 1 < t.expression.size() && t.expression[at + 1] == '=') op_len = 2;
  t.field = std::string(absl::StripAsciiWhitespace(t.expression.substr(0, at)));
  t.op = t.expression.substr(at, op_len);
  const std::string number(absl::StripAsciiWhitespace(t.expression.substr(at + op_len)));
  if (t.op == "=" || t.op == "!") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--threshold '", t.expression, "': the operator must be <, <=, >, >=, == or !="));
  }
  if (!absl::SimpleAtod(number, &t.value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threshold '", t.expression, "': '", number, "' is not a number"));
  }
  const std::vector<std::string> fields = ThresholdFields();
  if (std::find(fields.begin(), fields.end(), t.field) == fields.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--threshold '", t.expression,
                                                   "': unknown field '", t.field,
                                                   "' (valid: ", absl::StrJoin(fields, ", "), ")"));
  }
  return t;
}

absl::StatusOr<double> ThresholdValue(const v1::RunReport& r, absl::string_view field) {
  const v1::Totals& t = r.totals();
  if (field == "measured_s") return t.measured_s();
  const metrics::CounterValues counters = wire::CountersFromProto(t.counters());
  if (field == "errors") {
    double sum = 0;
    for (int i = 0; i < metrics::kNumCounters; ++i) {
      if (metrics::kCounterInfo[i].unit == metrics::Unit::kErrors) sum += counters.at(i);
    }
    return sum;
  }
  for (int i = 0; i < metrics::kNumCounters; ++i) {
    if (field == metrics::kCounterInfo[i].name) return static_cast<double>(counters.at(i));
  }
  for (int i = 0; i < metrics::kNumRates; ++i) {
    if (field == metrics::kRateInfo[i].figure.name) {
      return wire::RateFromProto(t.rates(), static_cast<metrics::Rate>(i));
    }
  }
  for (int i = 0; i < metrics::kNumTimings; ++i) {
    const std::string prefix = absl::StrCat(metrics::kTimingInfo[i].name, ".");
    if (absl::StartsWith(field, prefix)) {
      return SummaryStat(wire::FindSummary(r.timings(), static_cast<metrics::Timing>(i)),
                         field.substr(prefix.size()));
    }
  }
  if (field == "fairness.jain") return r.fairness().jain();
  if (field == "fairness.starved_connections") return r.fairness().starved_connections();
  if (field == "fairness.connections_carrying_90pct") {
    return r.fairness().connections_carrying_90pct();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown threshold field '", field, "'"));
}

absl::Status CheckThresholdMeasured(const Threshold& t, const v1::LoadSpec& load) {
  const bool open = IsOpenLoop(load);
  const v1::Workload w = load.workload();
  const bool zero_copy =
      load.send_mode() == v1::SEND_MODE_ZEROCOPY || load.send_mode() == v1::SEND_MODE_URING_ZC;
  // Each figure some runs do not measure, and which runs do.
  struct Need {
    absl::string_view prefix;
    bool measured;
    const char* why;
  };
  const Need needs[] = {
      {"round_trip.", HasRoundTrips(w), "only echo, rr and connect-rr time round trips"},
      {"service_time.", open && HasRoundTrips(w),
       "only an open loop (--rate or --stages) with round trips has service times"},
      {"schedule_lag.", open, "only an open loop (--rate or --stages) has a schedule"},
      {"generator_lag.", open, "only an open loop (--rate or --stages) has a schedule"},
      {"connect.", w == v1::WORKLOAD_CONNECT_RR,
       "only connect-rr times its connects (the others connect before the start)"},
      {"zc_completion.", zero_copy, "only --send-mode zerocopy or uring-zc has zero-copy sends"},
      {"send_call.", w != v1::WORKLOAD_STREAM_IN, "stream-in sends nothing"},
      {"offered_per_sec", open, "only an open loop (--rate or --stages) offers a rate"},
  };
  for (const Need& n : needs) {
    if (absl::StartsWith(t.field, n.prefix) && !n.measured) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--threshold '", t.expression, "': this run does not measure ", t.field, ": ", n.why));
    }
  }
  return absl::OkStatus();
}

void ApplyThresholds(const std::vector<Threshold>& thresholds, v1::RunReport* report) {
  for (const Threshold& t : thresholds) {
    v1::ThresholdResult* out = report->add_thresholds();
    out->set_expression(t.expression);
    const absl::StatusOr<double> v = ThresholdValue(*report, t.field);
    const double x = v.ok() ? *v : 0;
    out->set_value(x);
    bool passed = false;
    if (v.ok()) {
      if (t.op == "<") passed = x < t.value;
      if (t.op == "<=") passed = x <= t.value;
      if (t.op == ">") passed = x > t.value;
      if (t.op == ">=") passed = x >= t.value;
      if (t.op == "==") passed = x == t.value;
      if (t.op == "!=") passed = x != t.value;
    }
    out->set_passed(passed);
  }
}

}  // namespace salvo::driver
