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
#include "wire/text.h"

namespace salvo::controller {
namespace {

using units::FormatBytes;

}  // namespace

std::string SweepTable(const v1::SweepReport& r) {
  TextTable table({"workload", "engine", "conns", "size", "mode", "MB/s", "msg/s", "compl/s",
                   "call p50", "zc p50", "copied", "CPU ns/B", "status"},
                  /*left_columns=*/5);
  for (const v1::SweepPoint& p : r.points()) {
    const bool zc = p.send_mode() != v1::SEND_MODE_COPY;
    const std::string engine =
        p.engine_used() == v1::ENGINE_UNSPECIFIED || p.engine_used() == p.engine()
            ? std::string(wire::Name(p.engine()))
            : absl::StrCat(wire::Name(p.engine()), ":", wire::Name(p.engine_used()));
    table.Add(
        {std::string(wire::Name(p.workload())), engine, absl::StrCat(p.connections()),
         FormatBytes(p.message_size()), std::string(wire::Name(p.send_mode())),
         absl::StrFormat("%.1f", p.mb_per_sec()), units::FormatCount(p.messages_per_sec()),
         units::FormatCount(p.completions_per_sec()), units::FormatMicros(p.send_call_p50_us()),
         zc ? units::FormatMicros(p.zc_completion_p50_us()) : "-",
         zc ? absl::StrFormat("%.0f%%", 100 * p.zc_copied_share()) : "-",
         absl::StrFormat("%.3f", p.cpu_ns_per_byte_sent()), std::string(wire::Name(p.status()))});
  }
  std::string out = table.Render();
  for (const std::string& f : r.findings()) absl::StrAppend(&out, "finding: ", f, "\n");
  absl::StrAppend(&out, "status: ", wire::Name(r.status()), "\n");
  return out;
}

std::string SweepCsv(const v1::SweepReport& r) {
  // One column per scalar field of SweepPoint, in field-number order: a field added to the proto
  // is a column here without another list to keep in step.
  const google::protobuf::Descriptor* d = v1::SweepPoint::descriptor();
  std::vector<const google::protobuf::FieldDescriptor*> columns;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->is_repeated() || f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    columns.push_back(f);
  }
  std::sort(columns.begin(), columns.end(),
            [](const auto* a, const auto* b) { return a->number() < b->number(); });
  std::vector<std::string> header;
  for (const auto* f : columns) header.push_back(f->name());
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\n");
  for (const v1::SweepPoint& p : r.points()) {
    std::vector<std::string> row;
    for (const auto* f : columns) row.push_back(wire::FieldText(p, f));
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
  }
  return out;
}

std::string SweepSvg(const v1::SweepReport& r) {
  std::vector<Chart> charts;
  for (const auto& [group, modes] : GroupSweep(r)) {
    Chart throughput{absl::StrCat("Throughput: ", GroupName(group)), "message size", "MB/s", true};
    Chart completions{absl::StrCat("Completions: ", GroupName(group)), "message size",
                      "completions per second", true};
    throughput.x_format =
        completions.x_format = [](double x) { return FormatBytes(static_cast<uint64_t>(x)); };
    for (const auto& [mode, by_size] : modes) {
      Series t{std::string(wire::Name(mode)), {}}, c{std::string(wire::Name(mode)), {}};
      for (const auto& [size, p] : by_size) {
        t.points.emplace_back(static_cast<double>(size), p->mb_per_sec());
        c.points.emplace_back(static_cast<double>(size), p->completions_per_sec());
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
