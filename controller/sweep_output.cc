#include "controller/sweep_output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controller/svg_chart.h"
#include "controller/sweep.h"
#include "controller/text_table.h"
#include "google/protobuf/descriptor.h"
#include "units/units.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "wire/text.h"

namespace salvo::controller {
namespace {

using metrics::Timing;
using units::FormatBytes;

}  // namespace

std::string SweepTable(const v1::SweepReport& r) {
  TextTable table({"workload", "engine", "conns", "size", "mode", "MB/s", "msg/s", "compl/s",
                   "call p50", "zc p50", "copied", "CPU ns/B", "status"},
                  /*left_columns=*/5);
  for (const v1::SweepPoint& p : r.points()) {
    const v1::Totals& t = p.report().totals();
    const wire::TimingList& timings = p.report().timings();
    const bool zc = p.send_mode() != v1::SEND_MODE_COPY;
    const std::string engine =
        p.engine_used() == v1::ENGINE_UNSPECIFIED || p.engine_used() == p.engine()
            ? std::string(wire::Name(p.engine()))
            : absl::StrCat(wire::Name(p.engine()), ":", wire::Name(p.engine_used()));
    table.Add(
        {std::string(wire::Name(p.workload())), engine, absl::StrCat(p.connections()),
         FormatBytes(p.message_size()), std::string(wire::Name(p.send_mode())),
         absl::StrFormat("%.1f", p.mb_per_sec()), units::FormatCount(t.rates().messages_per_sec()),
         units::FormatCount(t.rates().completions_per_sec()),
         units::FormatMicros(wire::FindSummary(timings, Timing::kSendCall).p50_us()),
         zc ? units::FormatMicros(wire::FindSummary(timings, Timing::kZcCompletion).p50_us()) : "-",
         zc ? absl::StrFormat("%.0f%%", 100 * t.zc_copied_share()) : "-",
         absl::StrFormat("%.3f", t.cpu_ns_per_byte_sent()), std::string(wire::Name(p.status()))});
  }
  std::string out = table.Render();
  for (const std::string& f : r.findings()) absl::StrAppend(&out, "finding: ", f, "\n");
  absl::StrAppend(&out, "status: ", wire::Name(r.status()), "\n");
  return out;
}

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

}  // namespace

std::string SweepCsv(const v1::SweepReport& r) {
  // The columns come from the schema and the figure table: the point's own fields, every rate
  // and derived total of its run, and p50/p99 of every timing. A new figure is a new column
  // without a list here to keep in step.
  const auto point_fields = wire::ScalarFields(v1::SweepPoint::descriptor());
  const auto rate_fields = wire::ScalarFields(v1::Rates::descriptor());
  const auto total_fields = wire::ScalarFields(v1::Totals::descriptor());
  std::vector<std::string> header;
  for (const auto* f : point_fields) header.push_back(f->name());
  for (const auto* f : rate_fields) header.push_back(f->name());
  for (const auto* f : total_fields) header.push_back(f->name());
  for (const metrics::FigureInfo& t : metrics::kTimingInfo) {
    header.push_back(absl::StrCat(t.name, "_p50_us"));
    header.push_back(absl::StrCat(t.name, "_p99_us"));
  }
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\n");
  for (const v1::SweepPoint& p : r.points()) {
    const v1::Totals& totals = p.report().totals();
    std::vector<std::string> row;
    for (const auto* f : point_fields) row.push_back(wire::FieldText(p, f));
    for (const auto* f : rate_fields) row.push_back(wire::FieldText(totals.rates(), f));
    for (const auto* f : total_fields) row.push_back(wire::FieldText(totals, f));
    for (int t = 0; t < metrics::kNumTimings; ++t) {
      const v1::LatencySummary& s = wire::FindSummary(p.report().timings(), static_cast<Timing>(t));
      row.push_back(wire::DoubleText(s.p50_us()));
      row.push_back(wire::DoubleText(s.p99_us()));
    }
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
  }
  return out;
}

std::string SweepSvg(const v1::SweepReport& r) {
  std::vector<Chart> charts;
  for (const auto& [group, modes] : GroupSweep(r)) {
    Chart throughput, completions;
    throughput.title = absl::StrCat("Throughput: ", GroupName(group));
    completions.title = absl::StrCat("Completions: ", GroupName(group));
    throughput.x_label = completions.x_label = "message size";
    throughput.y_label = "MB/s";
    completions.y_label = "completions per second";
    throughput.log_x = completions.log_x = true;
    throughput.x_format =
        completions.x_format = [](double x) { return FormatBytes(static_cast<uint64_t>(x)); };
    for (const auto& [mode, by_size] : modes) {
      Series t{std::string(wire::Name(mode)), {}}, c{std::string(wire::Name(mode)), {}};
      for (const auto& [size, p] : by_size) {
        t.points.emplace_back(static_cast<double>(size), p->mb_per_sec());
        c.points.emplace_back(static_cast<double>(size),
                              p->report().totals().rates().completions_per_sec());
      }
      throughput.series.push_back(std::move(t));
      completions.series.push_back(std::move(c));
    }
    charts.push_back(std::move(throughput));
    charts.push_back(std::move(completions));
  }
  return RenderSvg(charts);
}

}  // namespace salvo::controller
