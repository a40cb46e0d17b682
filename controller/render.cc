#include "controller/render.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "proto/json.h"
#include "units/units.h"

namespace salvo::controller {
namespace {

using units::FormatBytes;
using units::FormatCount;
using units::FormatMicros;

// A plain text table: the first column left-aligned, the rest right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Rule() { rules_.push_back(rows_.size()); }
  std::string Render() const {
    std::vector<size_t> width(rows_[0].size(), 0);
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    std::string out;
    for (size_t r = 0; r < rows_.size(); ++r) {
      if (std::find(rules_.begin(), rules_.end(), r) != rules_.end()) {
        size_t total = 0;
        for (size_t w : width) total += w + 2;
        absl::StrAppend(&out, std::string(total - 2, '-'), "\n");
      }
      std::string line;
      for (size_t c = 0; c < rows_[r].size(); ++c) {
        const std::string& cell = rows_[r][c];
        const std::string pad(width[c] - cell.size(), ' ');
        absl::StrAppend(&line, c == 0 ? "" : "  ", c == 0 ? cell + pad : pad + cell);
      }
      absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> rules_;
};

std::vector<std::string> ThroughputRow(const std::string& name, uint64_t conns,
                                       const v1::Counters& c, double tps, double msgs_per_sec) {
  return {name,
          absl::StrCat(conns),
          FormatCount(static_cast<double>(c.send_calls())),
          FormatCount(static_cast<double>(c.recv_calls())),
          FormatBytes(c.bytes_sent()),
          FormatBytes(c.bytes_received()),
          FormatCount(static_cast<double>(c.messages())),
          FormatCount(msgs_per_sec),
          FormatCount(tps)};
}

std::vector<std::string> LatencyRow(const std::string& name, const v1::LatencySummary& l) {
  if (l.count() == 0) return {name, "-", "-", "-", "-", "-", "-"};
  return {name,
          FormatCount(static_cast<double>(l.count())),
          FormatMicros(l.p50_us()),
          FormatMicros(l.p90_us()),
          FormatMicros(l.p99_us()),
          FormatMicros(l.p999_us()),
          FormatMicros(l.max_us())};
}

}  // namespace

std::string LiveLine(const v1::IntervalPoint& p, uint32_t agents_expected) {
  std::string line = absl::StrFormat(
      "[%6.1fs] %8s tps %8s msg/s  out %8s MB/s  in %8s MB/s", p.elapsed_s(), FormatCount(p.tps()),
      FormatCount(p.messages_per_sec()), units::FormatMBps(p.mb_per_sec_sent()),
      units::FormatMBps(p.mb_per_sec_received()));
  if (p.counters().messages() > 0 && (p.p50_us() > 0 || p.p99_us() > 0)) {
    absl::StrAppend(&line, absl::StrFormat("  p50 %7s  p99 %7s", FormatMicros(p.p50_us()),
                                           FormatMicros(p.p99_us())));
  }
  if (p.starved_connections() > 0) {
    absl::StrAppend(&line, "  STALL: ", p.starved_connections(), " connections moved nothing");
  }
  if (p.agents_reporting() < agents_expected) {
    absl::StrAppend(&line, "  (", p.agents_reporting(), " of ", agents_expected, " agents)");
  }
  return line;
}

std::string RenderReport(const v1::RunReport& r) {
  const v1::RunSpecSummary& s = r.spec();
  std::string out = absl::StrFormat(
      "salvo %s: %s, %u connections, %s messages%s%s to %s from %d agent%s, %.1fs (+%.1fs "
      "warm-up)\n\n",
      r.salvo_version(), s.workload(), s.connections(), FormatBytes(s.message_size()),
      s.pipeline() > 1 ? absl::StrCat(", pipeline ", s.pipeline()) : "",
      s.verify() ? ", verified" : "", s.target(), s.agents_size(), s.agents_size() == 1 ? "" : "s",
      s.duration_s(), s.warmup_s());

  Table throughput({"agent", "conns", "send calls", "recv calls", "sent", "received", "messages",
                    "msg/s", "TPS"});
  for (const v1::AgentResult& a : r.agents()) {
    throughput.Add(ThroughputRow(a.agent(), a.counters().connections_established(), a.counters(),
                                 a.rates().tps(), a.rates().messages_per_sec()));
  }
  v1::Counters totals;
  const v1::Totals& t = r.totals();
  totals.set_send_calls(t.send_calls());
  totals.set_recv_calls(t.recv_calls());
  totals.set_bytes_sent(t.bytes_sent());
  totals.set_bytes_received(t.bytes_received());
  totals.set_messages(t.messages());
  throughput.Rule();
  throughput.Add(
      ThroughputRow("total", t.connections_established(), totals, t.tps(), t.messages_per_sec()));
  absl::StrAppend(&out, throughput.Render());
  absl::StrAppend(
      &out, absl::StrFormat("TPS = completed send and receive calls per second.  Throughput: out "
                            "%s MB/s, in %s MB/s over %.2fs.\n\n",
                            units::FormatMBps(t.mb_per_sec_sent()),
                            units::FormatMBps(t.mb_per_sec_received()), t.measured_s()));

  if (r.agents_size() > 1 || r.start_skew_ms() > 0) {
    Table timing({"agents", "weight", "conns", "clock offset", "+-", "rtt", "start lag", "state"});
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
  if (r.latency().count() > 0) {
    Table latency({"round trip", "samples", "p50", "p90", "p99", "p99.9", "max"});
    for (const v1::AgentResult& a : r.agents()) {
      latency.Add(LatencyRow(a.agent(), a.latency_summary()));
    }
    latency.Rule();
    latency.Add(LatencyRow("total (merged)", r.latency()));
    absl::StrAppend(&out, latency.Render(), "\n");
  }
  if (r.send_call().count() > 0) {
    Table send({"send side", "engine", "mode", "sends/s", "call p50", "call p99", "zc done p50",
                "zc done p99", "copied"});
    for (const v1::AgentResult& a : r.agents()) {
      const uint64_t zc = a.counters().zc_sends();
      send.Add({a.agent(), a.engine(), a.send_mode(), FormatCount(a.rates().send_calls_per_sec()),
                FormatMicros(a.send_call_summary().p50_us()),
                FormatMicros(a.send_call_summary().p99_us()),
                zc > 0 ? FormatMicros(a.zc_completion_summary().p50_us()) : "-",
                zc > 0 ? FormatMicros(a.zc_completion_summary().p99_us()) : "-",
                zc > 0 ? absl::StrFormat("%.0f%%", 100.0 * a.counters().zc_copied() / zc) : "-"});
    }
    double sends_per_sec = 0;
    for (const v1::AgentResult& a : r.agents()) sends_per_sec += a.rates().send_calls_per_sec();
    const bool zc = t.zc_sends() > 0;
    send.Rule();
    send.Add({"total (merged)", "", "", FormatCount(sends_per_sec),
              FormatMicros(r.send_call().p50_us()), FormatMicros(r.send_call().p99_us()),
              zc ? FormatMicros(r.zc_completion().p50_us()) : "-",
              zc ? FormatMicros(r.zc_completion().p99_us()) : "-",
              zc ? absl::StrFormat("%.0f%%", 100 * t.zc_copied_share()) : "-"});
    absl::StrAppend(&out, send.Render());
    absl::StrAppend(&out, absl::StrFormat("agent CPU: %.2fs, %.3f ns per byte sent\n\n", t.cpu_s(),
                                          t.cpu_ns_per_byte_sent()));
  }
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
  if (t.connect_errors() > 0 || t.verify_errors() > 0 || t.send_errors() > 0 ||
      t.recv_errors() > 0) {
    absl::StrAppend(&out,
                    absl::StrFormat("errors: %llu connect, %llu send, %llu recv, %llu verify\n",
                                    static_cast<unsigned long long>(t.connect_errors()),
                                    static_cast<unsigned long long>(t.send_errors()),
                                    static_cast<unsigned long long>(t.recv_errors()),
                                    static_cast<unsigned long long>(t.verify_errors())));
  }
  for (const std::string& d : r.diagnostics()) absl::StrAppend(&out, "note: ", d, "\n");
  absl::StrAppend(&out, "status: ", r.status(), "\n");
  for (const std::string& reason : r.reasons()) absl::StrAppend(&out, "  - ", reason, "\n");
  for (const std::string& lost : r.lost_agents()) absl::StrAppend(&out, "  - lost: ", lost, "\n");
  return out;
}

std::string ReportToJson(const v1::RunReport& report) { return v1::ToJson(report); }

}  // namespace salvo::controller
