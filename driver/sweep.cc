#include "driver/sweep.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "net/engine_factory.h"
#include "status/status_macros.h"
#include "units/units.h"
#include "wire/enums.h"

namespace salvo::driver {
namespace {

using units::FormatBytes;

v1::SweepPoint PointFrom(const RunConfig& c, v1::RunReport report) {
  v1::SweepPoint p;
  p.set_message_size(c.message_size);
  p.set_send_mode(wire::ToProto(c.send_mode));
  p.set_connections(c.connections);
  p.set_engine(wire::ToProto(c.engine));
  p.set_workload(wire::ToProto(c.workload));
  p.set_status(report.status());
  if (report.agents_size() > 0) p.set_engine_used(report.agents(0).engine());
  const v1::Rates& r = report.totals().rates();
  p.set_mb_per_sec(std::max(r.mb_per_sec_sent(), r.mb_per_sec_received()));
  *p.mutable_report() = std::move(report);
  return p;
}

void SetSpread(std::vector<double> values, v1::Spread* out) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  out->set_min(values.front());
  out->set_max(values.back());
  // The lower middle for an even count: a value one of the runs had, like the run that stands
  // for the point.
  out->set_median(values[(n - 1) / 2]);
}

// One point from its runs: the run of median throughput stands for it (a run, not a blend, so
// that its report stays whole and consistent), with each figure's median, min and max. A point
// is ok only if every run was.
v1::SweepPoint FromRuns(std::vector<v1::SweepPoint> runs) {
  std::vector<double> mb, completions, cpu;
  v1::RunStatus worst = v1::RUN_STATUS_OK;
  for (const v1::SweepPoint& r : runs) {
    mb.push_back(r.mb_per_sec());
    completions.push_back(r.report().totals().rates().completions_per_sec());
    cpu.push_back(r.report().totals().cpu_ns_per_byte_sent());
    if (r.status() != v1::RUN_STATUS_OK) worst = r.status();
  }
  std::vector<size_t> order(runs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return runs[a].mb_per_sec() < runs[b].mb_per_sec(); });
  v1::SweepPoint p = std::move(runs[order[(order.size() - 1) / 2]]);
  p.set_repeats(static_cast<uint32_t>(runs.size()));
  p.set_status(worst);
  SetSpread(mb, p.mutable_mb_per_sec_spread());
  SetSpread(completions, p.mutable_completions_per_sec_spread());
  SetSpread(cpu, p.mutable_cpu_ns_per_byte_sent_spread());
  return p;
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

// Parses a comma-separated list of an enum's names; the error names the flag.
template <typename E, size_t N>
absl::Status ParseEnumList(absl::string_view list, const enums::EnumTable<E, N>& table,
                           absl::string_view flag, std::vector<E>* out) {
  out->clear();
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    absl::StatusOr<E> value = table.Parse(absl::StripAsciiWhitespace(item));
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", value.status().message()));
    }
    out->push_back(*value);
  }
  return absl::OkStatus();
}

}  // namespace

SweepGroups GroupSweep(const v1::SweepReport& r) {
  SweepGroups g;
  for (const v1::SweepPoint& p : r.points()) {
    if (p.status() != v1::RUN_STATUS_OK) continue;
    g[{p.workload(), p.engine(), p.connections()}][p.send_mode()][p.message_size()] = &p;
  }
  return g;
}

std::string GroupName(const SweepGroupKey& k) {
  return absl::StrCat(wire::Name(k.workload), ", ", wire::Name(k.engine), " engine, ",
                      k.connections, " connection", k.connections == 1 ? "" : "s");
}

absl::Status ParseSweepLists(absl::string_view sizes, absl::string_view send_modes,
                             absl::string_view connections, absl::string_view engines,
                             absl::string_view workloads, SweepConfig* config) {
  config->sizes.clear();
  for (absl::string_view s : absl::StrSplit(sizes, ',', absl::SkipWhitespace())) {
    absl::StatusOr<uint64_t> size = units::ParseSize(absl::StripAsciiWhitespace(s));
    if (!size.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--sizes: ", size.status().message()));
    }
    config->sizes.push_back(*size);
  }
  config->connections.clear();
  for (absl::string_view c : absl::StrSplit(connections, ',', absl::SkipWhitespace())) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(c, &n) || n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--connections: '", c, "' is not a positive whole number"));
    }
    config->connections.push_back(n);
  }
  SALVO_RETURN_IF_ERROR(
      ParseEnumList(send_modes, net::kSendModes, "--send-modes", &config->send_modes));
  SALVO_RETURN_IF_ERROR(ParseEnumList(engines, net::kEngineKinds, "--engines", &config->engines));
  return ParseEnumList(workloads, workload::kKinds, "--workloads", &config->workloads);
}

absl::Status ValidateSweep(const SweepConfig& s) {
  if (s.repeat == 0 || s.repeat > 100) {
    return absl::InvalidArgumentError("--repeat must be 1 to 100");
  }
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
  for (uint32_t c : s.connections) {
    RunConfig probe = s.base;
    probe.connections = c;
    probe.message_size = s.sizes.front();
    probe.send_mode = net::SendMode::kCopy;  // pairings are checked point by point
    SALVO_RETURN_IF_ERROR(Validate(probe));
  }
  return absl::OkStatus();
}

v1::SweepReport ExecuteSweep(const SweepConfig& s, const RunHooks& hooks,
                             const AgentAccess& access) {
  v1::SweepReport report;
  report.set_salvo_version(SALVO_VERSION);
  *report.mutable_base() = ScenarioOf(s.base);
  std::vector<RunConfig> points;
  std::vector<std::string> skipped;
  for (workload::Kind w : s.workloads) {
    for (net::EngineKind engine : s.engines) {
      for (uint32_t conns : s.connections) {
        for (net::SendMode mode : s.send_modes) {
          if (absl::Status why = net::CheckEngineSupports(engine, mode); !why.ok()) {
            skipped.push_back(absl::StrCat(net::kEngineKinds.Name(engine), " + ",
                                           net::kSendModes.Name(mode), ": ", why.message()));
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

  if (points.empty()) {
    report.add_findings("every point was skipped: no engine given can send in any send mode given");
    report.set_status(v1::RUN_STATUS_FAILED);
    return report;
  }
  const absl::Time began = absl::Now();
  size_t failed = 0;
  bool interrupted = false;
  for (size_t i = 0; i < points.size(); ++i) {
    const RunConfig& c = points[i];
    // Time left from what the points so far took, or from their nominal length at first.
    const absl::Duration per_point =
        i == 0 ? (c.warmup + c.duration + absl::Seconds(1)) * s.repeat : (absl::Now() - began) / i;
    hooks.print(absl::StrFormat(
        "[%zu/%zu] %s, %s engine, %u conns, %s, %s ... about %s left", i + 1, points.size(),
        workload::kKinds.Name(c.workload), net::kEngineKinds.Name(c.engine), c.connections,
        FormatBytes(c.message_size), net::kSendModes.Name(c.send_mode),
        absl::FormatDuration(
            absl::Trunc(per_point * static_cast<double>(points.size() - i), absl::Seconds(1)))));
    std::vector<v1::SweepPoint> runs;
    for (uint32_t k = 0; k < s.repeat; ++k) {
      runs.push_back(PointFrom(c, DriveRun(c, hooks, access)));
      if (hooks.interrupts != nullptr && hooks.interrupts->load() > 0) break;
    }
    v1::SweepPoint* p = report.add_points();
    *p = FromRuns(std::move(runs));
    if (p->status() != v1::RUN_STATUS_OK) {
      ++failed;
      hooks.print(absl::StrCat("  failed: ", absl::StrJoin(p->report().reasons(), "; ")));
    } else {
      hooks.print(absl::StrFormat(
          "  %.1f MB/s%s, %s completions/s", p->mb_per_sec(),
          p->repeats() > 1
              ? absl::StrFormat(" (%.1f-%.1f over %u runs)", p->mb_per_sec_spread().min(),
                                p->mb_per_sec_spread().max(), p->repeats())
              : "",
          units::FormatCount(p->report().totals().rates().completions_per_sec())));
    }
    if (hooks.interrupts != nullptr && hooks.interrupts->load() > 0) {
      interrupted = i + 1 < points.size();
      break;
    }
  }
  for (std::string& f : FindCrossovers(report)) report.add_findings(std::move(f));
  if (interrupted) report.add_findings("the sweep was interrupted before its last point");
  report.set_status(failed == 0 && !interrupted                           ? v1::RUN_STATUS_OK
                    : failed == static_cast<size_t>(report.points_size()) ? v1::RUN_STATUS_FAILED
                                                                          : v1::RUN_STATUS_PARTIAL);
  return report;
}

std::vector<std::string> FindCrossovers(const v1::SweepReport& report) {
  std::vector<std::string> out;
  for (const auto& [group, modes] : GroupSweep(report)) {
    auto copy = modes.find(v1::SEND_MODE_COPY);
    for (const auto& [mode, by_size] : modes) {
      if (mode == v1::SEND_MODE_COPY) continue;
      // Points that differ in send mode alone are compared; where the mode ran on another
      // engine than copy did (auto picks per mode), the finding names both.
      const auto used = [](const std::map<uint64_t, const v1::SweepPoint*>& points) {
        return points.empty() ? v1::ENGINE_UNSPECIFIED : points.begin()->second->engine_used();
      };
      std::string head = absl::StrCat(GroupName(group), ": ", wire::Name(mode));
      if (copy != modes.end() && used(by_size) != used(copy->second)) {
        head = absl::StrCat(head, " on ", wire::Name(used(by_size)), " against copy on ",
                            wire::Name(used(copy->second)));
      }
      if (copy == modes.end()) {
        out.push_back(absl::StrCat(head, " has no copy run to compare with"));
        continue;
      }
      double copied = 0;
      for (const auto& [size, p] : by_size) copied += p->report().totals().zc_copied_share();
      copied /= static_cast<double>(by_size.size());
      const std::string largest = FormatBytes(by_size.rbegin()->first);
      // Named outside the lambda: clang 14 cannot capture structured bindings.
      const uint64_t smallest = by_size.begin()->first;
      const auto say = [&](absl::string_view what, std::optional<uint64_t> from) {
        if (!from.has_value()) {
          return absl::StrCat(head, " never beats copy on ", what, " (sizes up to ", largest, ")");
        }
        if (*from == smallest) {
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
                          const double zc = z.report().totals().cpu_ns_per_byte_sent();
                          return zc > 0 && zc < c.report().totals().cpu_ns_per_byte_sent();
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

}  // namespace salvo::driver
