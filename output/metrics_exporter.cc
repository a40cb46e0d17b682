#include "output/metrics_exporter.h"

#include <sys/socket.h>

#include <cmath>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "httplib.h"
#include "net/address.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "wire/text.h"

namespace salvo::output {
namespace {

using metrics::Counter;
using metrics::Timing;

constexpr const char* kStatuses[] = {"running", "ok", "partial", "failed"};

// A label value with the exposition format's three escapes.
std::string Label(absl::string_view v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

// A sample value: integers exactly, the rest in the shortest form that reads back.
std::string Value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return wire::DoubleText(v);
}

void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ",
                  absl::StrReplaceAll(help, {{"\\", "\\\\"}, {"\n", " "}}), "\n# TYPE ", name, " ",
                  type, "\n");
}

// A server whose thread still serves a slow client when its exporter goes (see the destructor):
// kept, reachable, until the process ends, so that a leak checker (scripts/sanitize.sh) tells this
// deliberate leak from a real one.
void Abandon(std::unique_ptr<httplib::Server> server) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* abandoned = new std::vector<std::unique_ptr<httplib::Server>>;
  absl::MutexLock lock(&mu);
  abandoned->push_back(std::move(server));
}

}  // namespace

// httplib's listening socket is its subclasses' to reach: Debian's compiled library listens with
// a backlog of 5, which refused a few dozen scrapers arriving together.
class MetricsServer : public httplib::Server {
 public:
  void RaiseBacklog(int backlog) { ::listen(svr_sock_, backlog); }
};

struct MetricsExporter::Serving {
  absl::Mutex mu;
  bool open ABSL_GUARDED_BY(mu) = true;
  absl::Notification ended;
};

MetricsExporter::MetricsExporter() = default;

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Listen(
    const std::string& host_port) {
  std::string host;
  uint16_t port = 0;
  if (absl::Status s = net::SplitHostPort(host_port, &host, &port, /*allow_zero_port=*/true);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics-listen: ", s.message()));
  }
  auto m = std::make_unique<MetricsExporter>();
  auto server = std::make_unique<MetricsServer>();
  // A scrape is one small response: a client that takes longer than this per read or write is
  // cut off (the library's default, 5 s, kept an idle half-request's worker that long).
  server->set_read_timeout(2, 0);
  server->set_write_timeout(2, 0);
  server->set_keep_alive_timeout(2);
  server->set_keep_alive_max_count(16);
  m->serving_ = std::make_shared<Serving>();
  MetricsExporter* self = m.get();
  server->Get("/metrics",
              [self, serving = m->serving_](const httplib::Request&, httplib::Response& res) {
                absl::MutexLock lock(&serving->mu);
                if (!serving->open) {
                  res.status = 503;
                  return;
                }
                res.set_content(self->Text(), "text/plain; version=0.0.4; charset=utf-8");
              });
  const int bound =
      port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("--metrics-listen: cannot listen on ", host_port,
                                               " (in use, or not an address of this host)"));
  }
  server->RaiseBacklog(128);
  m->port_ = static_cast<uint16_t>(bound);
  MetricsServer* raw = server.get();
  m->server_ = std::move(server);
  m->thread_ = std::thread([raw, serving = m->serving_] {
    raw->listen_after_bind();
    serving->ended.Notify();
  });
  return m;
}

MetricsExporter::~MetricsExporter() {
  if (server_ == nullptr) return;
  // From here no handler reads this object (one under way finishes first).
  {
    absl::MutexLock lock(&serving_->mu);
    serving_->open = false;
  }
  server_->stop();
  // stop() closes the listening socket; the server thread then waits for its workers, and a
  // client that trickles its request holds one for as long as it likes. The run, its report and
  // its exit must not wait for that: after a moment the thread is left to the process's end, with
  // the server it uses (a deliberate leak of one object at shutdown).
  if (serving_->ended.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
    thread_.join();
  } else {
    thread_.detach();
    Abandon(std::move(server_));
  }
}

void MetricsExporter::AddInterval(const v1::IntervalPoint& merged,
                                  const driver::IntervalParts& parts) {
  absl::MutexLock lock(&mu_);
  counters_["total"] += wire::CountersFromProto(merged.counters());
  for (const auto& [agent, interval] : parts) {
    counters_[agent] += wire::CountersFromProto(interval->counters());
    last_parts_[agent] = *interval;
  }
  last_seconds_ = merged.seconds();
  last_ = merged;
  const v1::LatencySummary& rtt = wire::FindSummary(merged.timings(), Timing::kRoundTrip);
  round_trips_ += rtt.count();
  round_trip_seconds_ += rtt.mean_us() * static_cast<double>(rtt.count()) / 1e6;
}

void MetricsExporter::Finish(const v1::RunReport& report) {
  absl::MutexLock lock(&mu_);
  counters_["total"] = wire::CountersFromProto(report.totals().counters());
  for (const v1::AgentResult& a : report.agents()) {
    counters_[a.agent()] = wire::CountersFromProto(a.counters());
  }
  const v1::LatencySummary& rtt = wire::FindSummary(report.timings(), Timing::kRoundTrip);
  round_trips_ = rtt.count();
  round_trip_seconds_ = rtt.mean_us() * static_cast<double>(rtt.count()) / 1e6;
  status_ = std::string(wire::Name(report.status()));
}

std::string MetricsExporter::Text() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  // Counters: every figure of metrics/figures.h, per agent and in total.
  for (int c = 0; c < metrics::kNumCounters; ++c) {
    const metrics::FigureInfo& info = metrics::kCounterInfo[c];
    const std::string name = absl::StrCat("salvo_", info.name, "_total");
    Family(&out, name, "counter", info.meaning);
    for (const auto& [agent, values] : counters_) {
      absl::StrAppend(&out, name, "{agent=\"", Label(agent), "\"} ", values.at(c), "\n");
    }
  }
  // Rates over the last interval, per agent and in total.
  std::map<std::string, v1::Rates> rates = {{"total", last_.rates()}};
  for (const auto& [agent, interval] : last_parts_) {
    wire::RatesToProto(
        metrics::ComputeRates(wire::CountersFromProto(interval.counters()), last_seconds_),
        &rates[agent]);
  }
  for (int r = 0; r < metrics::kNumRates; ++r) {
    const metrics::FigureInfo& info = metrics::kRateInfo[r].figure;
    const google::protobuf::FieldDescriptor* f =
        v1::Rates::descriptor()->FindFieldByName(info.name);
    if (f == nullptr) continue;  // the figures test keeps the table and the proto in step
    // Prometheus names in base units, spelt out: mb_per_sec_sent is sent_bytes_per_second
    // (in bytes), completions_per_sec is completions_per_second.
    std::string name = absl::StrCat("salvo_", info.name);
    double scale = 1;
    if (absl::string_view what = info.name; absl::ConsumePrefix(&what, "mb_per_sec_")) {
      name = absl::StrCat("salvo_", what, "_bytes_per_second");
      scale = 1e6;
    } else {
      absl::StrReplaceAll({{"_per_sec", "_per_second"}}, &name);
    }
    Family(&out, name, "gauge", absl::StrCat(info.meaning, ", over the last interval"));
    for (const auto& [agent, values] : rates) {
      absl::StrAppend(&out, name, "{agent=\"", Label(agent), "\"} ",
                      Value(scale * values.GetReflection()->GetDouble(values, f)), "\n");
    }
  }
  // Round trips: the last interval's quantiles, with the run's count and sum so far.
  const v1::LatencySummary& rtt = wire::FindSummary(last_.timings(), Timing::kRoundTrip);
  Family(&out, "salvo_round_trip_seconds", "summary",
         "round trips over the last interval (quantiles) and the run so far (_count, _sum)");
  for (const auto& [q, us] : {std::pair{"0.5", rtt.p50_us()}, std::pair{"0.9", rtt.p90_us()},
                              std::pair{"0.99", rtt.p99_us()}, std::pair{"0.999", rtt.p999_us()}}) {
    absl::StrAppend(&out, "salvo_round_trip_seconds{quantile=\"", q, "\"} ", Value(us / 1e6), "\n");
  }
  absl::StrAppend(&out, "salvo_round_trip_seconds_sum ", Value(round_trip_seconds_), "\n");
  absl::StrAppend(&out, "salvo_round_trip_seconds_count ", round_trips_, "\n");
  // Connections by state, as the last interval sampled them.
  Family(&out, "salvo_connections", "gauge",
         "connections in the last interval: sampled open, starved (delivered nothing), with a "
         "zero receive window at the peer");
  absl::StrAppend(&out, "salvo_connections{state=\"open\"} ", last_.fairness().connections(), "\n",
                  "salvo_connections{state=\"starved\"} ", last_.fairness().starved_connections(),
                  "\n", "salvo_connections{state=\"zero_window\"} ", last_.tcp().zero_window(),
                  "\n");
  Family(&out, "salvo_run_status", "gauge", "1 for the run's status now, 0 for the others");
  for (const char* s : kStatuses) {
    absl::StrAppend(&out, "salvo_run_status{status=\"", s, "\"} ", status_ == s ? 1 : 0, "\n");
  }
  return out;
}

}  // namespace salvo::output
