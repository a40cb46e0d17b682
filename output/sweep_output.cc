#include "output/sweep_output.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "driver/sweep.h"
#include "google/protobuf/descriptor.h"
#include "output/svg_chart.h"
#include "output/text_table.h"
#include "units/units.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "wire/text.h"

namespace salvo::output {
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
         p.repeats() > 1 ? absl::StrFormat("%.1f (%.1f-%.1f)", p.mb_per_sec(),
                                           p.mb_per_sec_spread().min(), p.mb_per_sec_spread().max())
                         : absl::StrFormat("%.1f", p.mb_per_sec()),
         units::FormatCount(t.rates().messages_per_sec()),
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
  // With --repeat: each spread figure's lowest and highest run. The columns above are the
  // median-throughput run's own figures, so its completion rate sits inside its spread but need
  // not be that spread's median.
  const std::pair<const char*, const v1::Spread& (*)(const v1::SweepPoint&)> spreads[] = {
      {"mb_per_sec",
       [](const v1::SweepPoint& p) -> const v1::Spread& { return p.mb_per_sec_spread(); }},
      {"completions_per_sec",
       [](const v1::SweepPoint& p) -> const v1::Spread& { return p.completions_per_sec_spread(); }},
      {"cpu_ns_per_byte_sent", [](const v1::SweepPoint& p) -> const v1::Spread& {
         return p.cpu_ns_per_byte_sent_spread();
       }}};
  for (const auto& [name, get] : spreads) {
    header.push_back(absl::StrCat(name, "_min"));
    header.push_back(absl::StrCat(name, "_max"));
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
    for (const auto& [name, get] : spreads) {
      row.push_back(p.repeats() > 1 ? wire::DoubleText(get(p).min()) : "");
      row.push_back(p.repeats() > 1 ? wire::DoubleText(get(p).max()) : "");
    }
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
  }
  return out;
}

std::string SweepCaption(const v1::SweepReport& r) {
  // Where and when: the agents' host (where the sends were made) from the first point's report.
  std::string where;
  for (const v1::SweepPoint& p : r.points()) {
    const v1::RunReport& report = p.report();
    if (report.agents_size() == 0 || !report.agents(0).has_environment()) continue;
    const v1::Environment& e = report.agents(0).environment();
    where =
        absl::StrCat(e.hostname(), ", Linux ", e.kernel(), ", ", report.started_at().substr(0, 10));
    break;
  }
  double copied = 0;
  int zc_points = 0;
  for (const v1::SweepPoint& p : r.points()) {
    if (p.send_mode() == v1::SEND_MODE_COPY || !p.report().totals().has_zc_copied_share()) continue;
    copied += p.report().totals().zc_copied_share();
    ++zc_points;
  }
  std::string what;
  if (zc_points > 0) {
    copied /= zc_points;
    what = copied >= 0.99
               ? "; the kernel copied 100% of zero-copy sends: these points measure the zero-copy "
                 "path's cost, not zero-copy"
               : absl::StrFormat("; the kernel copied %.0f%% of zero-copy sends", 100 * copied);
  }
  return absl::StrCat(where, what);
}

std::string SweepSvg(const v1::SweepReport& r) {
  // One set of panels per workload and engine; within a panel, colour is the send mode and the
  // dash the connection count, so that every line of one metric shares its y axis.
  struct Panel {
    v1::Workload workload;
    v1::Engine engine;
    auto operator<=>(const Panel&) const = default;
  };
  std::map<Panel, std::vector<const v1::SweepPoint*>> panels;
  std::vector<v1::SendMode> modes;
  std::vector<uint32_t> connections;
  for (const v1::SweepPoint& p : r.points()) {
    if (p.status() != v1::RUN_STATUS_OK) continue;
    panels[{p.workload(), p.engine()}].push_back(&p);
    if (std::find(modes.begin(), modes.end(), p.send_mode()) == modes.end()) {
      modes.push_back(p.send_mode());
    }
    if (std::find(connections.begin(), connections.end(), p.connections()) == connections.end()) {
      connections.push_back(p.connections());
    }
  }
  std::sort(modes.begin(), modes.end());
  std::sort(connections.begin(), connections.end());
  const std::string caption = SweepCaption(r);
  struct Metric {
    const char* title;
    const char* y_label;
    bool log_y;
    double (*value)(const v1::SweepPoint&);
    const v1::Spread& (*spread)(const v1::SweepPoint&);
  };
  const Metric metrics[] = {
      {"Throughput", "MB/s (10^6 bytes/s)", false,
       [](const v1::SweepPoint& p) { return p.mb_per_sec(); },
       [](const v1::SweepPoint& p) -> const v1::Spread& { return p.mb_per_sec_spread(); }},
      {"Completions per second", "completed sends and receives per second", true,
       [](const v1::SweepPoint& p) { return p.report().totals().rates().completions_per_sec(); },
       [](const v1::SweepPoint& p) -> const v1::Spread& { return p.completions_per_sec_spread(); }},
      {"Sender CPU per byte", "agent CPU ns per byte sent", false,
       [](const v1::SweepPoint& p) { return p.report().totals().cpu_ns_per_byte_sent(); },
       [](const v1::SweepPoint& p) -> const v1::Spread& {
         return p.cpu_ns_per_byte_sent_spread();
       }},
  };
  std::vector<Chart> charts;
  for (const auto& [panel, points] : panels) {
    for (const Metric& m : metrics) {
      Chart chart;
      chart.title = absl::StrCat(m.title, ": ", wire::Name(panel.workload), ", ",
                                 wire::Name(panel.engine), " engine");
      chart.caption = caption;
      chart.x_label = "message size";
      chart.y_label = m.y_label;
      chart.log_x = true;
      chart.log_y = m.log_y;
      chart.x_format = [](double x) { return FormatBytes(static_cast<uint64_t>(x)); };
      for (size_t mi = 0; mi < modes.size(); ++mi) {
        for (size_t ci = 0; ci < connections.size(); ++ci) {
          Series s;
          s.name = absl::StrCat(wire::Name(modes[mi]), ", ", connections[ci], " conn");
          s.color = static_cast<int>(mi);
          s.dash = static_cast<int>(ci);
          for (const v1::SweepPoint* p : points) {
            if (p->send_mode() != modes[mi] || p->connections() != connections[ci]) continue;
            const double x = static_cast<double>(p->message_size());
            s.points.emplace_back(x, m.value(*p));
            if (p->repeats() > 1) s.range[x] = {m.spread(*p).min(), m.spread(*p).max()};
          }
          if (!s.points.empty()) chart.series.push_back(std::move(s));
        }
      }
      charts.push_back(std::move(chart));
    }
  }
  return RenderSvg(charts);
}

}  // namespace salvo::output
