#include "controller/sweep.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "controller/svg_chart.h"
#include "net/engine_factory.h"
#include "units/units.h"

namespace salvo::controller {
namespace {

using units::FormatBytes;

// Points that cannot run anywhere, known without asking an agent.
std::string Impossible(const std::string& engine, const std::string& mode) {
  if (engine == "epoll" && mode == "uring-zc") return "uring-zc needs the io_uring engine";
  if (engine == "io_uring" && mode == "zerocopy") return "zerocopy (MSG_ZEROCOPY) runs on epoll";
  return "";
}

v1::SweepPoint PointFrom(const RunConfig& c, v1::RunReport report) {
  v1::SweepPoint p;
  p.set_message_size(c.message_size);
  p.set_send_mode(c.send_mode);
  p.set_connections(c.connections);
  p.set_engine(c.engine);
  p.set_workload(std::string(workload::KindName(c.workload)));
  p.set_status(report.status());
  const v1::Totals& t = report.totals();
  p.set_mb_per_sec(std::max(t.mb_per_sec_sent(), t.mb_per_sec_received()));
  p.set_messages_per_sec(t.messages_per_sec());
  p.set_completions_per_sec(t.tps());
  double send_calls_per_sec = 0;
  for (const auto& a : report.agents()) send_calls_per_sec += a.rates().send_calls_per_sec();
  p.set_send_calls_per_sec(send_calls_per_sec);
  p.set_send_call_p50_us(report.send_call().p50_us());
  p.set_send_call_p99_us(report.send_call().p99_us());
  p.set_zc_completion_p50_us(report.zc_completion().p50_us());
  p.set_zc_completion_p99_us(report.zc_completion().p99_us());
  p.set_zc_copied_share(t.zc_copied_share());
  p.set_cpu_ns_per_byte_sent(t.cpu_ns_per_byte_sent());
  p.set_round_trip_p50_us(report.latency().p50_us());
  p.set_round_trip_p99_us(report.latency().p99_us());
  if (report.agents_size() > 0) p.set_engine_used(report.agents(0).engine());
  *p.mutable_report() = std::move(report);
  return p;
}

using GroupKey = std::tuple<std::string, std::string, uint32_t>;  // workload, engine, conns

std::string GroupName(const GroupKey& k) {
  return absl::StrCat(std::get<0>(k), ", ", std::get<1>(k), " engine, ", std::get<2>(k),
                      " connection", std::get<2>(k) == 1 ? "" : "s");
}

std::map<GroupKey, std::map<std::string, std::map<uint64_t, const v1::SweepPoint*>>> Grouped(
    const v1::SweepReport& r) {
  std::map<GroupKey, std::map<std::string, std::map<uint64_t, const v1::SweepPoint*>>> g;
  for (const v1::SweepPoint& p : r.points()) {
    if (p.status() != "ok") continue;
    g[{p.workload(), p.engine(), p.connections()}][p.send_mode()][p.message_size()] = &p;
  }
  return g;
}

// The smallest swept size from which `better` holds at that size and every larger one.
std::optional<uint64_t> Crossover(
    const std::map<uint64_t, const v1::SweepPoint*>& zc,
    const std::map<uint64_t, const v1::SweepPoint*>& copy,
    const std::function<bool(const v1::SweepPoint&, const v1::SweepPoint&)>& better) {
  std::optional<uint64_t> from;
  for (const auto& [size, z] : zc) {
    auto c = copy.find(size);
    if (c == copy.end()) continue;
    if (better(*z, *c->second)) {
      if (!from.has_value()) from = size;
    } else {
      from.reset();
    }
  }
  return from;
}

}  // namespace

absl::Status ParseSweepLists(absl::string_view sizes, absl::string_view send_modes,
                             absl::string_view connections, absl::string_view engines,
                             absl::string_view workloads, SweepConfig* config) {
  const auto split = [](absl::string_view list) -> std::vector<std::string> {
    return absl::StrSplit(list, ',', absl::SkipWhitespace());
  };
  config->sizes.clear();
  for (const std::string& s : split(sizes)) {
    absl::StatusOr<uint64_t> size = units::ParseSize(s);
    if (!size.ok())
      return absl::InvalidArgumentError(absl::StrCat("--sizes: ", size.status().message()));
    config->sizes.push_back(*size);
  }
  config->send_modes = split(send_modes);
  config->connections.clear();
  for (const std::string& c : split(connections)) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(c, &n) || n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--connections: '", c, "' is not a positive whole number"));
    }
    config->connections.push_back(n);
  }
  config->engines = split(engines);
  config->workloads.clear();
  for (const std::string& w : split(workloads)) {
    absl::StatusOr<workload::Kind> kind = workload::ParseKind(w);
    if (!kind.ok())
      return absl::InvalidArgumentError(absl::StrCat("--workloads: ", kind.status().message()));
    config->workloads.push_back(*kind);
  }
  return absl::OkStatus();
}

absl::Status ValidateSweep(const SweepConfig& s) {
  if (s.engines.empty()) return absl::InvalidArgumentError("--engines: give at least one");
  if (s.workloads.empty()) return absl::InvalidArgumentError("--workloads: give at least one");
  if (s.sizes.empty()) return absl::InvalidArgumentError("--sizes: give at least one size");
  if (s.send_modes.empty()) return absl::InvalidArgumentError("--send-modes: give at least one");
  if (s.connections.empty()) return absl::InvalidArgumentError("--connections: give at least one");
  for (uint64_t size : s.sizes) {
    if (size == 0 || size > (uint64_t{1} << 30)) {
      return absl::InvalidArgumentError("--sizes: every size must be 1 byte to 1g");
    }
  }
  for (const std::string& m : s.send_modes) {
    if (absl::Status st = net::ParseSendMode(m).status(); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--send-modes: ", st.message()));
    }
  }
  for (const std::string& e : s.engines) {
    if (absl::Status st = net::ParseEngineKind(e).status(); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--engines: ", st.message()));
    }
  }
  for (uint32_t c : s.connections) {
    RunConfig probe = s.base;
    probe.connections = c;
    probe.message_size = s.sizes.front();
    if (absl::Status st = Validate(probe); !st.ok()) return st;
  }
  return absl::OkStatus();
}

v1::SweepReport ExecuteSweep(const SweepConfig& s, const RunHooks& hooks) {
  v1::SweepReport report;
  report.set_salvo_version(SALVO_VERSION);
  *report.mutable_base() = SpecSummary(s.base);
  std::vector<RunConfig> points;
  std::vector<std::string> skipped;
  for (workload::Kind w : s.workloads) {
    for (const std::string& engine : s.engines) {
      for (uint32_t conns : s.connections) {
        for (const std::string& mode : s.send_modes) {
          if (std::string why = Impossible(engine, mode); !why.empty()) {
            skipped.push_back(absl::StrCat(engine, " + ", mode, ": ", why));
            continue;
          }
          for (uint64_t size : s.sizes) {
            RunConfig c = s.base;
            c.workload = w;
            c.engine = engine;
            c.connections = conns;
            c.send_mode = mode;
            c.message_size = size;
            c.live = false;
            c.json_path.clear();
            points.push_back(c);
          }
        }
      }
    }
  }
  std::sort(skipped.begin(), skipped.end());
  skipped.erase(std::unique(skipped.begin(), skipped.end()), skipped.end());
  for (const std::string& why : skipped) hooks.print(absl::StrCat("skipping ", why));

  const absl::Time began = absl::Now();
  size_t failed = 0;
  bool interrupted = false;
  for (size_t i = 0; i < points.size(); ++i) {
    const RunConfig& c = points[i];
    // Time left from what the points so far took, or from their nominal length at first.
    const absl::Duration per_point =
        i == 0 ? c.warmup + c.duration + absl::Seconds(1) : (absl::Now() - began) / i;
    hooks.print(absl::StrFormat(
        "[%zu/%zu] %s, %s engine, %u conns, %s, %s ... about %s left", i + 1, points.size(),
        workload::KindName(c.workload), c.engine, c.connections, FormatBytes(c.message_size),
        c.send_mode,
        absl::FormatDuration(
            absl::Trunc(per_point * static_cast<double>(points.size() - i), absl::Seconds(1)))));
    v1::SweepPoint* p = report.add_points();
    *p = PointFrom(c, ExecuteRun(c, hooks));
    if (p->status() != "ok") {
      ++failed;
      hooks.print(absl::StrCat("  failed: ", absl::StrJoin(p->report().reasons(), "; ")));
    } else {
      hooks.print(absl::StrFormat("  %.1f MB/s, %s completions/s", p->mb_per_sec(),
                                  units::FormatCount(p->completions_per_sec())));
    }
    if (hooks.interrupts != nullptr && hooks.interrupts->load() > 0) {
      interrupted = i + 1 < points.size();
      break;
    }
  }
  for (std::string& f : FindCrossovers(report)) report.add_findings(std::move(f));
  if (interrupted) report.add_findings("the sweep was interrupted before its last point");
  report.set_status(failed == 0 && !interrupted                           ? "ok"
                    : failed == static_cast<size_t>(report.points_size()) ? "failed"
                                                                          : "partial");
  return report;
}

std::vector<std::string> FindCrossovers(const v1::SweepReport& report) {
  std::vector<std::string> out;
  for (const auto& [group, modes] : Grouped(report)) {
    auto copy = modes.find("copy");
    for (const auto& [mode, by_size] : modes) {
      if (mode == "copy") continue;
      const std::string head = absl::StrCat(GroupName(group), ": ", mode);
      if (copy == modes.end()) {
        out.push_back(absl::StrCat(head, " has no copy run to compare with"));
        continue;
      }
      double copied = 0;
      for (const auto& [size, p] : by_size) copied += p->zc_copied_share();
      copied /= static_cast<double>(by_size.size());
      const std::string largest = FormatBytes(by_size.rbegin()->first);
      const auto say = [&](absl::string_view what, std::optional<uint64_t> from) {
        if (!from.has_value()) {
          return absl::StrCat(head, " never beats copy on ", what, " (sizes up to ", largest, ")");
        }
        if (*from == by_size.begin()->first) {
          return absl::StrCat(head, " beats copy on ", what, " at every size swept");
        }
        return absl::StrCat(head, " beats copy on ", what, " from ", FormatBytes(*from),
                            " up (crossover)");
      };
      out.push_back(
          say("throughput", Crossover(by_size, copy->second, [](const auto& z, const auto& c) {
                return z.mb_per_sec() > c.mb_per_sec();
              })));
      out.push_back(say("sender CPU per byte",
                        Crossover(by_size, copy->second, [](const auto& z, const auto& c) {
                          return z.cpu_ns_per_byte_sent() > 0 &&
                                 z.cpu_ns_per_byte_sent() < c.cpu_ns_per_byte_sent();
                        })));
      if (copied >= 0.99) {
        out.push_back(absl::StrCat(
            head,
            ": the kernel copied 100% of its zero-copy sends (always so over loopback and "
            "veth), so these points measure the zero-copy path's overhead, not zero-copy"));
      } else if (copied > 0) {
        out.push_back(absl::StrFormat("%s: the kernel copied %.0f%% of its zero-copy sends", head,
                                      100 * copied));
      }
    }
  }
  return out;
}

std::string SweepTable(const v1::SweepReport& r) {
  std::vector<std::vector<std::string>> rows = {{"workload", "engine", "conns", "size", "mode",
                                                 "MB/s", "msg/s", "compl/s", "call p50", "zc p50",
                                                 "copied", "CPU ns/B", "status"}};
  for (const v1::SweepPoint& p : r.points()) {
    const bool zc = p.send_mode() != "copy";
    const std::string engine = p.engine_used().empty() || p.engine_used() == p.engine()
                                   ? p.engine()
                                   : absl::StrCat(p.engine(), ":", p.engine_used());
    rows.push_back(
        {p.workload(), engine, absl::StrCat(p.connections()), FormatBytes(p.message_size()),
         p.send_mode(), absl::StrFormat("%.1f", p.mb_per_sec()),
         units::FormatCount(p.messages_per_sec()), units::FormatCount(p.completions_per_sec()),
         units::FormatMicros(p.send_call_p50_us()),
         zc ? units::FormatMicros(p.zc_completion_p50_us()) : "-",
         zc ? absl::StrFormat("%.0f%%", 100 * p.zc_copied_share()) : "-",
         absl::StrFormat("%.3f", p.cpu_ns_per_byte_sent()), p.status()});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      absl::StrAppend(&out, i == 0 ? "" : "  ", i < 5 ? row[i] + pad : pad + row[i]);
    }
    absl::StrAppend(&out, "\n");
  }
  for (const std::string& f : r.findings()) absl::StrAppend(&out, "finding: ", f, "\n");
  absl::StrAppend(&out, "status: ", r.status(), "\n");
  return out;
}

std::string SweepCsv(const v1::SweepReport& r) {
  std::string out =
      "workload,engine,engine_used,connections,message_size,send_mode,status,mb_per_sec,"
      "messages_per_sec,"
      "completions_per_sec,send_calls_per_sec,send_call_p50_us,send_call_p99_us,"
      "zc_completion_p50_us,zc_completion_p99_us,zc_copied_share,cpu_ns_per_byte_sent,"
      "round_trip_p50_us,round_trip_p99_us\n";
  for (const v1::SweepPoint& p : r.points()) {
    absl::StrAppend(
        &out,
        absl::StrFormat("%s,%s,%s,%u,%llu,%s,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,"
                        "%.4f,%.3f,%.3f\n",
                        p.workload(), p.engine(), p.engine_used(), p.connections(),
                        static_cast<unsigned long long>(p.message_size()), p.send_mode(),
                        p.status(), p.mb_per_sec(), p.messages_per_sec(), p.completions_per_sec(),
                        p.send_calls_per_sec(), p.send_call_p50_us(), p.send_call_p99_us(),
                        p.zc_completion_p50_us(), p.zc_completion_p99_us(), p.zc_copied_share(),
                        p.cpu_ns_per_byte_sent(), p.round_trip_p50_us(), p.round_trip_p99_us()));
  }
  return out;
}

std::string SweepSvg(const v1::SweepReport& r) {
  std::vector<Chart> charts;
  for (const auto& [group, modes] : Grouped(r)) {
    Chart throughput{absl::StrCat("Throughput: ", GroupName(group)), "message size", "MB/s", true};
    Chart completions{absl::StrCat("Completions: ", GroupName(group)), "message size",
                      "completions per second", true};
    throughput.x_format =
        completions.x_format = [](double x) { return FormatBytes(static_cast<uint64_t>(x)); };
    for (const auto& [mode, by_size] : modes) {
      Series t{mode, {}}, c{mode, {}};
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
