#include "output/csv_report.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "metrics/figures.h"
#include "output/sinks.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "wire/text.h"

namespace salvo::output {

std::string ReportCsv(const v1::RunReport& r) {
  // Columns from the schema and the figure tables, as the sweep's CSV: a new counter, rate or
  // timing is a new column with no list here to keep in step.
  const auto counter_fields = wire::ScalarFields(v1::Counters::descriptor());
  const auto rate_fields = wire::ScalarFields(v1::Rates::descriptor());
  std::vector<std::string> header = {"unix_ms", "elapsed_s", "interval", "agent", "seconds"};
  for (const auto* f : counter_fields) header.push_back(f->name());
  for (const auto* f : rate_fields) header.push_back(f->name());
  for (const metrics::FigureInfo& t : metrics::kTimingInfo) {
    for (const char* q : {"p50", "p90", "p99", "max"}) {
      header.push_back(absl::StrCat(t.name, "_", q, "_us"));
    }
  }
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\n");
  const auto add_row = [&](const v1::Counters& counters, const v1::Rates& rates,
                           const google::protobuf::RepeatedPtrField<v1::TimingHistogram>& timings,
                           int64_t unix_ms, double elapsed_s, uint32_t index,
                           absl::string_view agent, double seconds) {
    std::vector<std::string> row = {absl::StrCat(unix_ms), wire::DoubleText(elapsed_s),
                                    absl::StrCat(index), std::string(agent),
                                    wire::DoubleText(seconds)};
    for (const auto* f : counter_fields) row.push_back(wire::FieldText(counters, f));
    for (const auto* f : rate_fields) row.push_back(wire::FieldText(rates, f));
    for (int t = 0; t < metrics::kNumTimings; ++t) {
      const v1::LatencySummary& s = wire::FindSummary(timings, static_cast<metrics::Timing>(t));
      for (double us : {s.p50_us(), s.p90_us(), s.p99_us(), s.max_us()}) {
        row.push_back(s.count() > 0 ? wire::DoubleText(us) : "");
      }
    }
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
  };
  for (const v1::IntervalPoint& p : r.intervals()) {
    for (const v1::AgentResult& a : r.agents()) {
      for (const v1::Interval& i : a.intervals()) {
        if (i.index() != p.index()) continue;
        add_row(i.counters(), i.rates(), i.timings(), i.unix_ms(), i.elapsed_s(), i.index(),
                a.agent(), i.seconds());
      }
    }
    add_row(p.counters(), p.rates(), p.timings(), p.unix_ms(), p.elapsed_s(), p.index(), "total",
            p.seconds());
  }
  return out;
}

absl::StatusOr<driver::ReportSinkPtr> MakeCsvSink(const driver::RunConfig& config,
                                                  const Terminal& terminal) {
  return MakeFileSink(config.csv_path, "--csv", terminal.human(config),
                      [](const v1::RunReport& r, std::ostream& o) { o << ReportCsv(r); });
}

}  // namespace salvo::output
