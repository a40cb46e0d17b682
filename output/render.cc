#include "output/render.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "driver/report.h"
#include "driver/run_config.h"
#include "metrics/figures.h"
#include "output/sinks.h"
#include "output/text_table.h"
#include "proto/json.h"
#include "units/units.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "wire/text.h"

namespace salvo::output {
namespace {

using metrics::Timing;
using units::FormatBytes;
using units::FormatCount;
using units::FormatMicros;

std::vector<std::string> ThroughputRow(const std::string& name, uint64_t conns,
                                       const v1::Counters& c, const v1::Rates& rates) {
  return {name,
          absl::StrCat(conns),
          FormatCount(static_cast<double>(c.send_calls())),
          FormatCount(static_cast<double>(c.recv_calls())),
          FormatBytes(c.bytes_sent()),
          FormatBytes(c.bytes_received()),
          FormatBytes(c.bytes_delivered()),
          FormatCount(static_cast<double>(c.messages())),
          FormatCount(rates.messages_per_sec()),
          FormatCount(rates.completions_per_sec())};
}

constexpr const char* kLatencyColumns[] = {"samples", "mean", "stddev", "p50", "p90",
                                           "p95",     "p99",  "p99.9",  "max"};

// Throughput in decimal megabytes per second, or in bits per second as iperf3 shows it.
std::string Throughput(double mb_per_sec, bool bits) {
  if (!bits) return absl::StrCat(units::FormatMBps(mb_per_sec), " MB/s");
  const double bits_per_sec = mb_per_sec * 8e6;
  if (bits_per_sec >= 1e9) return absl::StrFormat("%.2f Gbit/s", bits_per_sec / 1e9);
  if (bits_per_sec >= 1e6) return absl::StrFormat("%.1f Mbit/s", bits_per_sec / 1e6);
  return absl::StrFormat("%.1f Kbit/s", bits_per_sec / 1e3);
}

std::vector<std::string> LatencyRow(const std::string& name, const v1::LatencySummary& l) {
  if (l.count() == 0) {
    std::vector<std::string> row(std::size(kLatencyColumns) + 1, "-");
    row[0] = name;
    return row;
  }
  return {name,
          FormatCount(static_cast<double>(l.count())),
          FormatMicros(l.mean_us()),
          FormatMicros(l.stddev_us()),
          FormatMicros(l.p50_us()),
          FormatMicros(l.p90_us()),
          FormatMicros(l.p95_us()),
          FormatMicros(l.p99_us()),
          FormatMicros(l.p999_us()),
          FormatMicros(l.max_us())};
}

std::vector<std::string> LatencyHeader(const std::string& first) {
  std::vector<std::string> header = {first};
  header.insert(header.end(), std::begin(kLatencyColumns), std::end(kLatencyColumns));
  return header;
}

}  // namespace

std::string LiveLine(const v1::IntervalPoint& p, uint32_t agents_expected, bool bits) {
  const v1::Rates& r = p.rates();
  std::string line = absl::StrFormat(
      "[%6.1fs] %8s tps %8s msg/s  out %13s  in %13s", p.elapsed_s(),
      FormatCount(r.completions_per_sec()), FormatCount(r.messages_per_sec()),
      Throughput(r.mb_per_sec_sent(), bits), Throughput(r.mb_per_sec_received(), bits));
  if (r.offered_per_sec() > 0) {
    absl::StrAppend(&line, absl::StrFormat("  offered %8s", FormatCount(r.offered_per_sec())));
  }
  const v1::LatencySummary& rtt = wire::FindSummary(p.timings(), Timing::kRoundTrip);
  if (rtt.count() > 0) {
    absl::StrAppend(&line, absl::StrFormat("  p50 %7s  p99 %7s", FormatMicros(rtt.p50_us()),
                                           FormatMicros(rtt.p99_us())));
  }
  absl::StrAppend(&line, absl::StrCat("  delivered ", Throughput(r.mb_per_sec_delivered(), bits)));
  if (r.connects_per_sec() > 0 && p.counters().messages() > 0 &&
      wire::FindSummary(p.timings(), Timing::kConnect).count() > 0) {
    absl::StrAppend(&line, "  connects/s ", FormatCount(r.connects_per_sec()));
  }
  if (p.fairness().starved_connections() > 0) {
    absl::StrAppend(&line, "  starved ", p.fairness().starved_connections(), " of ",
                    p.fairness().connections());
  }
  if (p.fairness().unsampled_connections() > 0) {
    absl::StrAppend(&line, "  unsampled ", p.fairness().unsampled_connections());
  }
  if (p.tcp().zero_window() > 0) absl::StrAppend(&line, "  zero window ", p.tcp().zero_window());
  if (p.agents_reporting() < agents_expected) {
    absl::StrAppend(&line, "  (", p.agents_reporting(), " of ", agents_expected, " agents)");
  }
  return line;
}

// What an open-loop run offered and what it achieved, and how far behind schedule it sent.
std::string OpenLoopLine(const v1::RunReport& r) {
  const v1::Totals& t = r.totals();
  const v1::LatencySummary& lag = wire::FindSummary(r.timings(), Timing::kScheduleLag);
  const v1::LatencySummary& own = wire::FindSummary(r.timings(), Timing::kGeneratorLag);
  std::string line = absl::StrFormat(
      "open loop: offered %s msg/s, achieved %s msg/s; %s of %s messages due were sent, "
      "schedule lag p50 %s p99 %s (the generator's own, its connection free: p50 %s p99 %s); %s "
      "came due while their connection was busy",
      FormatCount(t.rates().offered_per_sec()), FormatCount(t.rates().messages_per_sec()),
      FormatCount(static_cast<double>(lag.count())),
      FormatCount(static_cast<double>(t.counters().messages_due())), FormatMicros(lag.p50_us()),
      FormatMicros(lag.p99_us()), FormatMicros(own.p50_us()), FormatMicros(own.p99_us()),
      FormatCount(static_cast<double>(t.counters().pipeline_full())));
  if (driver::HasRoundTrips(r.spec().load().workload())) {
    const v1::LatencySummary& rtt = wire::FindSummary(r.timings(), Timing::kRoundTrip);
    const v1::LatencySummary& service = wire::FindSummary(r.timings(), Timing::kServiceTime);
    absl::StrAppend(
        &line, absl::StrFormat("\nround trip from the intended send time p50 %s p99 %s; from "
                               "the actual send (service time) p50 %s p99 %s",
                               FormatMicros(rtt.p50_us()), FormatMicros(rtt.p99_us()),
                               FormatMicros(service.p50_us()), FormatMicros(service.p99_us())));
  }
  return line;
}

std::string RenderReport(const v1::RunReport& r, bool bits) {
  const v1::Scenario& spec = r.spec();
  const v1::LoadSpec& s = spec.load();
  std::string out = absl::StrFormat(
      "salvo %s: %s, %u connections, %s messages%s%s to %s from %d agent%s, %.1fs (+%.1fs "
      "warm-up)\n\n",
      r.salvo_version(), wire::Name(s.workload()), spec.connections(),
      FormatBytes(s.message_size()),
      s.pipeline() > 1 ? absl::StrCat(", pipeline ", s.pipeline()) : "",
      s.verify() ? ", verified" : "", s.target(), spec.agents_size(),
      spec.agents_size() == 1 ? "" : "s", s.duration_ms() / 1000.0, s.warmup_ms() / 1000.0);
  // A run stopped early (Ctrl-C, a lost agent) says how long it measured.
  const double measured = r.totals().measured_s();
  if (measured > 0 && measured < 0.95 * static_cast<double>(s.duration_ms()) / 1000) {
    absl::StrAppend(
        &out, absl::StrFormat("stopped early: %.1fs of the %.1fs asked were measured\n\n", measured,
                              s.duration_ms() / 1000.0));
  }
  if (r.has_environment()) {
    const v1::Environment& e = r.environment();
    // Linux reports its kernel release; Windows its own name and version.
    const std::string system =
        absl::StartsWith(e.kernel(), "Windows") ? e.kernel() : absl::StrCat("Linux ", e.kernel());
    absl::StrAppend(&out, absl::StrFormat("controller on %s: %s, %u x %s", e.hostname(), system,
                                          e.cpus(), e.cpu_model()));
    if (!e.congestion_control().empty()) absl::StrAppend(&out, ", ", e.congestion_control());
    absl::StrAppend(&out,
                    absl::StrFormat("; salvo %s (%s)\n\n", e.salvo_version(), e.build_commit()));
  }
  if (s.stages_size() > 0) {
    absl::StrAppend(&out,
                    absl::StrFormat("open loop: stages %s messages/s, ramped linearly (%s "
                                    "arrivals); each interval's offered rate is in the JSON\n\n",
                                    driver::FormatStages(s.stages()), wire::Name(s.arrival())));
  } else if (s.rate() > 0) {
    absl::StrAppend(&out, absl::StrFormat("open loop: %s messages/s offered (%s arrivals)\n\n",
                                          FormatCount(s.rate()), wire::Name(s.arrival())));
  }
  if (s.connect_rate() > 0) {
    double connect_s = 0;
    for (const v1::AgentResult& a : r.agents()) connect_s = std::max(connect_s, a.connect_s());
    absl::StrAppend(&out,
                    absl::StrFormat("connections opened at %s/s before the start: all %u "
                                    "took %.2f s\n\n",
                                    FormatCount(s.connect_rate()), spec.connections(), connect_s));
  }
  // The verdict and what explains it come first: they are what a person needs to read.
  absl::StrAppend(&out, "status: ", wire::Name(r.status()), "\n");
  for (const std::string& reason : r.reasons()) absl::StrAppend(&out, "  - ", reason, "\n");
  for (const std::string& lost : r.lost_agents()) absl::StrAppend(&out, "  - lost: ", lost, "\n");
  for (const std::string& d : r.diagnostics()) absl::StrAppend(&out, d, "\n");
  for (const v1::ThresholdResult& t : r.thresholds()) {
    absl::StrAppend(&out, absl::StrFormat("threshold %s: %s (%g)\n", t.expression(),
                                          t.passed() ? "passed" : "FAILED", t.value()));
  }
  absl::StrAppend(&out, "\n");

  TextTable throughput({"agent", "conns", "send calls", "recv calls", "sent", "received",
                        "delivered", "messages", "msg/s", "TPS"});
  for (const v1::AgentResult& a : r.agents()) {
    throughput.Add(
        ThroughputRow(a.agent(), a.counters().connections_established(), a.counters(), a.rates()));
  }
  const v1::Totals& t = r.totals();
  const v1::Counters& tc = t.counters();
  throughput.Rule();
  throughput.Add(ThroughputRow("total", tc.connections_established(), tc, t.rates()));
  absl::StrAppend(&out, throughput.Render());
  absl::StrAppend(
      &out, absl::StrFormat("TPS = %s.  Throughput: out %s, in %s over %.2fs.\n\n",
                            metrics::Info(metrics::Rate::kCompletionsPerSec).meaning,
                            Throughput(t.rates().mb_per_sec_sent(), bits),
                            Throughput(t.rates().mb_per_sec_received(), bits), t.measured_s()));

  if (r.agents_size() > 1 || r.start_skew_ms() > 0) {
    TextTable timing(
        {"agents", "weight", "conns", "clock offset", "+-", "rtt", "start lag", "state"});
    for (const v1::AgentResult& a : r.agents()) {
      timing.Add({a.agent(), absl::StrFormat("%g", a.weight()), absl::StrCat(a.connections()),
                  absl::StrFormat("%+.3fms", a.clock_offset_ms()),
                  absl::StrFormat("%.3fms", a.clock_error_ms()),
                  absl::StrFormat("%.3fms", a.clock_rtt_ms()),
                  a.first_send_unix_ns() != 0 ? absl::StrFormat("%.3fms", a.start_lag_ms()) : "-",
                  a.lost()            ? absl::StrCat("lost at interval ", a.lost_at_interval())
                  : a.error().empty() ? "ok"
                                      : "failed"});
    }
    absl::StrAppend(&out, timing.Render(),
                    absl::StrFormat("start skew across agents: %.3fms (first sends, in the "
                                    "controller's clock)\n\n",
                                    r.start_skew_ms()));
  }
  const v1::LatencySummary& round_trip = wire::FindSummary(r.timings(), Timing::kRoundTrip);
  if (round_trip.count() > 0) {
    TextTable latency(LatencyHeader("round trip"));
    for (const v1::AgentResult& a : r.agents()) {
      latency.Add(LatencyRow(a.agent(), wire::FindSummary(a.timings(), Timing::kRoundTrip)));
    }
    latency.Rule();
    latency.Add(LatencyRow("total (merged)", round_trip));
    absl::StrAppend(&out, latency.Render(), "\n");
  }
  const v1::LatencySummary& connect = wire::FindSummary(r.timings(), Timing::kConnect);
  if (s.workload() == v1::WORKLOAD_CONNECT_RR) {
    TextTable connects({"connects", "established", "per sec", "failed", "refused", "no port",
                        "time p50", "p90", "p99", "max"});
    const auto row = [](const std::string& name, const v1::Counters& c, const v1::Rates& rates,
                        const v1::LatencySummary& l) {
      std::vector<std::string> cells = {
          name,
          FormatCount(static_cast<double>(c.connections_established())),
          FormatCount(rates.connects_per_sec()),
          FormatCount(static_cast<double>(c.connect_errors())),
          FormatCount(static_cast<double>(c.connect_refused())),
          FormatCount(static_cast<double>(c.connect_no_port()))};
      for (double us : {l.p50_us(), l.p90_us(), l.p99_us(), l.max_us()}) {
        cells.push_back(l.count() > 0 ? FormatMicros(us) : "-");
      }
      return cells;
    };
    for (const v1::AgentResult& a : r.agents()) {
      connects.Add(row(a.agent(), a.counters(), a.rates(),
                       wire::FindSummary(a.timings(), Timing::kConnect)));
    }
    connects.Rule();
    connects.Add(row("total", tc, t.rates(), connect));
    absl::StrAppend(&out, connects.Render(),
                    "connect time: from connect() (the SYN) to the connection established; "
                    "established counts every connection, the connect phase's first one per "
                    "slot included.\n\n");
  }
  const v1::LatencySummary& send_call = wire::FindSummary(r.timings(), Timing::kSendCall);
  if (send_call.count() > 0) {
    // The zero-copy columns only where a send mode made zero-copy sends.
    const bool zc = tc.zc_sends() > 0;
    std::vector<std::string> header = {"send side", "engine",   "mode",
                                       "sends/s",   "call p50", "call p99"};
    if (zc) header.insert(header.end(), {"zc done p50", "zc done p99", "copied"});
    TextTable send(header);
    const auto row = [zc](std::vector<std::string> cells, uint64_t zc_sends, uint64_t zc_copied,
                          const v1::LatencySummary& done) {
      if (zc) {
        const bool any = zc_sends > 0;
        cells.push_back(any ? FormatMicros(done.p50_us()) : "-");
        cells.push_back(any ? FormatMicros(done.p99_us()) : "-");
        cells.push_back(any ? absl::StrFormat("%.0f%%", 100.0 * static_cast<double>(zc_copied) /
                                                            static_cast<double>(zc_sends))
                            : "-");
      }
      return cells;
    };
    for (const v1::AgentResult& a : r.agents()) {
      const v1::LatencySummary& call = wire::FindSummary(a.timings(), Timing::kSendCall);
      send.Add(
          row({a.agent(), std::string(wire::Name(a.engine())),
               std::string(wire::Name(a.send_mode())), FormatCount(a.rates().send_calls_per_sec()),
               FormatMicros(call.p50_us()), FormatMicros(call.p99_us())},
              a.counters().zc_sends(), a.counters().zc_copied(),
              wire::FindSummary(a.timings(), Timing::kZcCompletion)));
    }
    send.Rule();
    send.Add(row({"total (merged)", "", "", FormatCount(t.rates().send_calls_per_sec()),
                  FormatMicros(send_call.p50_us()), FormatMicros(send_call.p99_us())},
                 tc.zc_sends(), tc.zc_copied(),
                 wire::FindSummary(r.timings(), Timing::kZcCompletion)));
    absl::StrAppend(&out, send.Render());
    absl::StrAppend(&out, absl::StrFormat("agent CPU: %.2fs, %.3f ns per byte sent", t.cpu_s(),
                                          t.cpu_ns_per_byte_sent()));
    if (t.messages_per_send() > 0) {
      absl::StrAppend(
          &out, absl::StrFormat("; %.1f messages per send (--coalesce %s)", t.messages_per_send(),
                                s.one_message_per_send() ? "off" : "on"));
    }
    absl::StrAppend(&out, "\n\n");
  }
  if (driver::IsOpenLoop(s)) absl::StrAppend(&out, OpenLoopLine(r), "\n");
  if ((s.sndbuf() > 0 || s.rcvbuf() > 0) && r.agents_size() > 0) {
    // Linux doubles the request for its bookkeeping and clamps it to net.core.[wr]mem_max.
    absl::StrAppend(
        &out, absl::StrFormat("socket buffers: SO_SNDBUF asked %s, applied %s; SO_RCVBUF asked "
                              "%s, applied %s\n",
                              s.sndbuf() > 0 ? FormatBytes(s.sndbuf()) : "default",
                              FormatBytes(r.agents(0).sndbuf_applied()),
                              s.rcvbuf() > 0 ? FormatBytes(s.rcvbuf()) : "default",
                              FormatBytes(r.agents(0).rcvbuf_applied())));
  }
  // Every error counter of the figure table that is not zero, by its name.
  const metrics::CounterValues totals = wire::CountersFromProto(tc);
  std::vector<std::string> errors;
  for (int i = 0; i < metrics::kNumCounters; ++i) {
    const metrics::FigureInfo& f = metrics::kCounterInfo[i];
    if (f.unit == metrics::Unit::kErrors && totals.at(i) > 0) {
      errors.push_back(absl::StrCat(f.name, " ", totals.at(i)));
    }
  }
  if (!errors.empty()) absl::StrAppend(&out, "errors: ", absl::StrJoin(errors, ", "), "\n");
  const v1::Fairness& f = r.fairness();
  if (f.connections() > 0) {
    absl::StrAppend(
        &out, absl::StrFormat(
                  "delivered per connection: Jain %.3f, p10 %s, p50 %s, p90 %s; %u of %u "
                  "connections carried 90%% of the bytes\n",
                  f.jain(), FormatBytes(f.p10_bytes()), FormatBytes(f.p50_bytes()),
                  FormatBytes(f.p90_bytes()), f.connections_carrying_90pct(), f.connections()));
  }
  double cpu = 0, wait = 0;
  for (const v1::IntervalPoint& p : r.intervals()) {
    cpu = std::max(cpu, p.max_worker_cpu_share());
    wait = std::max(wait, p.max_worker_runqueue_share());
  }
  if (cpu > 0 || wait > 0) {
    absl::StrAppend(&out, absl::StrFormat("busiest agent worker in any interval: on a CPU %.0f%%, "
                                          "waiting for one %.0f%% of the time\n",
                                          100 * cpu, 100 * wait));
  }
  absl::StrAppend(&out, "status: ", wire::Name(r.status()), "\n");
  return out;
}

namespace {

// A run that failed before its load began (an agent unreachable or refusing, a connection that
// could not be made): its reasons are the whole story. Once load began (an agent was lost even
// before its first interval), the report is printed whole.
bool NeverStarted(const v1::RunReport& report) {
  if (report.status() == v1::RUN_STATUS_OK || report.lost_agents_size() > 0) return false;
  for (const v1::AgentResult& a : report.agents()) {
    if (a.intervals_size() > 0 || a.measured_s() > 0) return false;
  }
  return report.reasons_size() > 0;
}

// The terminal: a live line per merged interval (unless --no-live), then the report.
class TextSink final : public driver::ReportSink {
 public:
  TextSink(const driver::RunConfig& config, const Terminal& terminal)
      : live_(config.live),
        bits_(config.bits),
        human_(terminal.human(config)),
        err_(terminal.err),
        command_(terminal.command) {}

  void OnStart(const v1::Scenario&, uint32_t agents) override { agents_ = agents; }
  void OnInterval(const v1::IntervalPoint& merged, const driver::IntervalParts&) override {
    if (live_) human_ << LiveLine(merged, agents_, bits_) << std::endl;
  }
  absl::Status OnReport(const v1::RunReport& report) override {
    if (NeverStarted(report)) {
      for (const std::string& reason : report.reasons()) err_ << command_ << ": " << reason << "\n";
    } else {
      human_ << "\n" << RenderReport(report, bits_);
    }
    return absl::OkStatus();
  }

 private:
  bool live_;
  bool bits_;
  std::ostream& human_;
  std::ostream& err_;
  std::string command_;
  uint32_t agents_ = 0;
};

}  // namespace

absl::StatusOr<driver::ReportSinkPtr> MakeTextSink(const driver::RunConfig& config,
                                                   const Terminal& terminal) {
  return std::make_unique<TextSink>(config, terminal);
}

}  // namespace salvo::output
