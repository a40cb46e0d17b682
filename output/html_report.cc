#include "output/html_report.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "driver/report.h"
#include "driver/run_config.h"
#include "metrics/histogram.h"
#include "output/render.h"
#include "output/sinks.h"
#include "output/svg_chart.h"
#include "units/units.h"
#include "wire/enums.h"
#include "wire/figures.h"

namespace salvo::output {
namespace {

using metrics::Timing;

// Agents drawn one by one in the charts; past this, only the totals (a chart of 100 lines
// says nothing).
constexpr int kMaxAgentSeries = 6;

// A chart as inline SVG: the standalone document without its XML declaration.
std::string InlineSvg(const Chart& chart) {
  std::string svg = RenderSvg({chart});
  const size_t start = svg.find("<svg");
  return absl::StrCat("<figure class=\"chart\">", svg.substr(start), "</figure>\n");
}

// The series of one figure over the interval series of the run (or of one agent). Rates come
// with each interval (its `rates`, over its own `seconds`): nothing is worked out here.
template <typename Intervals, typename Value>
Series Over(const std::string& name, const Intervals& intervals, Value value) {
  Series s{name, {}};
  for (const auto& i : intervals) {
    if (i.seconds() > 0) s.points.emplace_back(i.elapsed_s(), value(i));
  }
  return s;
}

Chart MakeChart(const std::string& title, const std::string& x_label, const std::string& y_label,
                bool log_x = false) {
  Chart c;
  c.title = title;
  c.x_label = x_label;
  c.y_label = y_label;
  c.log_x = log_x;
  return c;
}

std::string Row(const std::vector<std::string>& cells, bool header = false) {
  std::string out = "<tr>";
  for (const std::string& c : cells) {
    absl::StrAppend(&out, header ? "<th>" : "<td>", XmlEscape(c), header ? "</th>" : "</td>");
  }
  return out + "</tr>\n";
}

std::string EnvironmentRow(const std::string& who, const v1::Environment& e) {
  return Row({who, e.hostname(), absl::StrCat(e.kernel(), " ", e.machine()),
              absl::StrCat(e.cpus(), " x ", e.cpu_model()), e.tcp_rmem(), e.tcp_wmem(),
              e.congestion_control(),
              absl::StrCat(e.salvo_version(), " (", e.build_commit(), ")")});
}

}  // namespace

std::string ReportHtml(const v1::RunReport& r) {
  const v1::LoadSpec& s = r.spec().load();
  const bool round_trips = driver::HasRoundTrips(s.workload());
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>salvo ",
      XmlEscape(wire::Name(s.workload())), " to ", XmlEscape(s.target()), " ",
      XmlEscape(r.started_at()),
      "</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#111}\n"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px "
      "8px;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}\n"
      ".ok{color:#009E73}.failed{color:#D55E00}.partial{color:#E69F00}\n"
      "figure.chart{margin:1em 0}pre{background:#f6f6f6;padding:1em;overflow:auto}\n"
      "</style></head><body>\n");
  // The verdict first: it is what a reader came for.
  const std::string status(wire::Name(r.status()));
  absl::StrAppend(&out, "<h1>salvo: ", XmlEscape(wire::Name(s.workload())), " to ",
                  XmlEscape(s.target()), "</h1>\n<p>", XmlEscape(r.started_at()), ", ",
                  r.spec().connections(), " connections from ", r.spec().agents_size(),
                  r.spec().agents_size() == 1 ? " agent" : " agents",
                  absl::StrFormat(", %.1f s measured", r.totals().measured_s()),
                  "</p>\n<h2 id=\"status\" class=\"", status, "\">status: ", status, "</h2>\n");
  if (r.reasons_size() + r.diagnostics_size() + r.lost_agents_size() > 0) {
    absl::StrAppend(&out, "<ul class=\"diagnosis\">\n");
    for (const std::string& x : r.reasons())
      absl::StrAppend(&out, "<li><b>", XmlEscape(x), "</b></li>\n");
    for (const std::string& x : r.lost_agents())
      absl::StrAppend(&out, "<li>lost: ", XmlEscape(x), "</li>\n");
    for (const std::string& x : r.diagnostics())
      absl::StrAppend(&out, "<li>", XmlEscape(x), "</li>\n");
    absl::StrAppend(&out, "</ul>\n");
  }

  // Over time.
  absl::StrAppend(&out, "<h2>Over time</h2>\n");
  const bool per_agent = r.agents_size() > 1 && r.agents_size() <= kMaxAgentSeries;
  Chart throughput =
      MakeChart("Throughput", "time since the start of measurement (s)", "MB/s (10^6 bytes/s)");
  throughput.series.push_back(Over("sent, total", r.intervals(),
                                   [](const auto& p) { return p.rates().mb_per_sec_sent(); }));
  throughput.series.push_back(Over("delivered, total", r.intervals(),
                                   [](const auto& p) { return p.rates().mb_per_sec_delivered(); }));
  Chart completions = MakeChart("Completions per second", "time since the start of measurement (s)",
                                "completed sends and receives per second");
  completions.series.push_back(
      Over("total", r.intervals(), [](const auto& p) { return p.rates().completions_per_sec(); }));
  if (per_agent) {
    for (const v1::AgentResult& a : r.agents()) {
      throughput.series.push_back(Over(absl::StrCat("sent, ", a.agent()), a.intervals(),
                                       [](const auto& i) { return i.rates().mb_per_sec_sent(); }));
      completions.series.push_back(Over(
          a.agent(), a.intervals(), [](const auto& i) { return i.rates().completions_per_sec(); }));
    }
  }
  absl::StrAppend(&out, InlineSvg(throughput), InlineSvg(completions));
  if (round_trips) {
    Chart rtt = MakeChart("Round trip", "time since the start of measurement (s)", "microseconds");
    const auto percentile = [&](const char* label, double (v1::LatencySummary::*pick)() const) {
      return Over(label, r.intervals(), [pick](const auto& p) {
        return (wire::FindSummary(p.timings(), Timing::kRoundTrip).*pick)();
      });
    };
    rtt.series.push_back(percentile("p50", &v1::LatencySummary::p50_us));
    rtt.series.push_back(percentile("p99", &v1::LatencySummary::p99_us));
    absl::StrAppend(&out, InlineSvg(rtt));
  }
  Chart health = MakeChart("Connections starved and with a zero window",
                           "time since the start of measurement (s)", "connections");
  health.series.push_back(Over("starved (delivered nothing)", r.intervals(), [](const auto& p) {
    return static_cast<double>(p.fairness().starved_connections());
  }));
  health.series.push_back(Over("zero window at the peer", r.intervals(), [](const auto& p) {
    return static_cast<double>(p.tcp().zero_window());
  }));
  absl::StrAppend(&out, InlineSvg(health));

  // The agents.
  absl::StrAppend(&out, "<h2>Agents</h2>\n<table>\n",
                  Row({"agent", "connections", "messages", "messages/s", "sent MB/s",
                       "delivered MB/s", "round trip p50", "p99", "state"},
                      true));
  const auto agent_row = [&](const std::string& name, uint64_t conns, const v1::Counters& c,
                             const v1::Rates& rates,
                             const google::protobuf::RepeatedPtrField<v1::TimingHistogram>& t,
                             const std::string& state) {
    const v1::LatencySummary& l = wire::FindSummary(t, Timing::kRoundTrip);
    return Row({name, absl::StrCat(conns), absl::StrCat(c.messages()),
                units::FormatCount(rates.messages_per_sec()),
                units::FormatMBps(rates.mb_per_sec_sent()),
                units::FormatMBps(rates.mb_per_sec_delivered()),
                l.count() > 0 ? units::FormatMicros(l.p50_us()) : "-",
                l.count() > 0 ? units::FormatMicros(l.p99_us()) : "-", state});
  };
  for (const v1::AgentResult& a : r.agents()) {
    absl::StrAppend(&out,
                    agent_row(a.agent(), a.connections(), a.counters(), a.rates(), a.timings(),
                              a.lost()            ? "lost"
                              : a.error().empty() ? "ok"
                                                  : a.error()));
  }
  absl::StrAppend(&out,
                  agent_row("total", r.spec().connections(), r.totals().counters(),
                            r.totals().rates(), r.timings(), status),
                  "</table>\n");

  // Distributions.
  absl::StrAppend(&out, "<h2>Distributions</h2>\n");
  for (const v1::TimingHistogram& t : r.timings()) {
    if (t.timing() != v1::TIMING_ROUND_TRIP) continue;
    absl::StatusOr<metrics::Histogram> h = wire::HistogramFromProto(t.histogram());
    if (!h.ok() || h->count() == 0) continue;
    // x: 1/(1-p) on a log axis, so that each "nine" of the tail gets the same width.
    Chart dist = MakeChart("Round-trip distribution (merged over all agents)", "percentile",
                           "microseconds", /*log_x=*/true);
    dist.x_format = [](double x) { return absl::StrFormat("%g%%", 100 * (1 - 1 / x)); };
    Series series{"round trip", {}};
    for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 99.99, 99.999}) {
      series.points.emplace_back(1 / (1 - p / 100), h->Percentile(p) / 1000);
    }
    dist.series.push_back(series);
    absl::StrAppend(&out, InlineSvg(dist));
  }
  const v1::Fairness& f = r.fairness();
  if (f.connections() > 0) {
    Chart bytes = MakeChart("Bytes delivered per connection",
                            "share of the connections, from the least served", "bytes");
    bytes.x_format = [](double x) { return absl::StrFormat("%g%%", x); };
    bytes.series.push_back({"bytes delivered",
                            {{0, static_cast<double>(f.min_bytes())},
                             {10, static_cast<double>(f.p10_bytes())},
                             {50, static_cast<double>(f.p50_bytes())},
                             {90, static_cast<double>(f.p90_bytes())},
                             {100, static_cast<double>(f.max_bytes())}}});
    absl::StrAppend(
        &out, InlineSvg(bytes),
        absl::StrFormat("<p>Jain's fairness index %.3f; %u of %u connections starved.</p>\n",
                        f.jain(), f.starved_connections(), f.connections()));
  }

  // What produced it.
  absl::StrAppend(&out, "<h2>Spec</h2>\n<table>\n");
  const std::vector<std::pair<std::string, std::string>> spec = {
      {"workload", std::string(wire::Name(s.workload()))},
      {"target", s.target()},
      {"connections", absl::StrCat(r.spec().connections())},
      {"message size", units::FormatBytes(s.message_size())},
      {"pipeline", absl::StrCat(std::max<uint32_t>(1, s.pipeline()))},
      {"duration", absl::StrFormat("%.1f s (+%.1f s warm-up)", s.duration_ms() / 1000.0,
                                   s.warmup_ms() / 1000.0)},
      {"rate", s.stages_size() > 0 ? driver::FormatStages(s.stages())
               : s.rate() > 0      ? absl::StrCat(units::FormatCount(s.rate()), " messages/s")
                                   : "closed loop"},
      {"engine", std::string(wire::Name(s.engine()))},
      {"send mode", std::string(wire::Name(s.send_mode()))},
  };
  for (const auto& [k, v] : spec) absl::StrAppend(&out, Row({k, v}));
  absl::StrAppend(
      &out, "</table>\n<h2>Machines</h2>\n<table>\n",
      Row({"", "host", "kernel", "CPUs", "tcp_rmem", "tcp_wmem", "congestion", "salvo"}, true));
  if (r.has_environment()) absl::StrAppend(&out, EnvironmentRow("controller", r.environment()));
  for (const v1::AgentResult& a : r.agents()) {
    if (a.has_environment()) absl::StrAppend(&out, EnvironmentRow(a.agent(), a.environment()));
  }
  absl::StrAppend(&out, "</table>\n");
  if (r.has_environment() && r.environment().has_command_line()) {
    absl::StrAppend(&out, "<pre>", XmlEscape(r.environment().command_line()), "</pre>\n");
  }
  absl::StrAppend(&out, "<h2>The report as text</h2>\n<pre>", XmlEscape(RenderReport(r)),
                  "</pre>\n</body></html>\n");
  return out;
}

absl::StatusOr<driver::ReportSinkPtr> MakeHtmlSink(const driver::RunConfig& config,
                                                   const Terminal& terminal) {
  return MakeFileSink(config.html_path, "--html", terminal.human(config),
                      [](const v1::RunReport& r, std::ostream& o) { o << ReportHtml(r); });
}

}  // namespace salvo::output
