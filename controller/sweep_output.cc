#include "controller/sweep_output.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/svg_chart.h"
#include "controller/sweep.h"
#include "controller/text_table.h"
#include "units/units.h"
#include "wire/enums.h"

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
  std::string out =
      "workload,engine,engine_used,connections,message_size,send_mode,status,mb_per_sec,"
      "messages_per_sec,completions_per_sec,send_calls_per_sec,send_call_p50_us,"
      "send_call_p99_us,zc_completion_p50_us,zc_completion_p99_us,zc_copied_share,"
      "cpu_ns_per_byte_sent,round_trip_p50_us,round_trip_p99_us\n";
  for (const v1::SweepPoint& p : r.points()) {
    absl::StrAppend(
        &out, absl::StrFormat(
                  "%s,%s,%s,%u,%llu,%s,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,"
                  "%.4f,%.3f,%.3f\n",
                  wire::Name(p.workload()), wire::Name(p.engine()), wire::Name(p.engine_used()),
                  p.connections(), static_cast<unsigned long long>(p.message_size()),
                  wire::Name(p.send_mode()), wire::Name(p.status()), p.mb_per_sec(),
                  p.messages_per_sec(), p.completions_per_sec(), p.send_calls_per_sec(),
                  p.send_call_p50_us(), p.send_call_p99_us(), p.zc_completion_p50_us(),
                  p.zc_completion_p99_us(), p.zc_copied_share(), p.cpu_ns_per_byte_sent(),
                  p.round_trip_p50_us(), p.round_trip_p99_us()));
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
