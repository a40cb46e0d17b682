// A run's figures for Prometheus: `salvo run --metrics-listen HOST:PORT` serves /metrics in the
// Prometheus text exposition format (version 0.0.4) while the run lasts and for --metrics-linger
// after it. Counters are the running sums of the merged intervals (per agent and in total) until
// the run ends, then the report's own totals; rates, round-trip quantiles and connection states
// are the last interval's.
//
//   absl::StatusOr<std::unique_ptr<MetricsExporter>> m = MetricsExporter::Listen("127.0.0.1:9464");
//   (*m)->AddInterval(merged, parts);   // each merged interval (output/metrics_sink.cc)
//   (*m)->Finish(report);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "driver/report_sink.h"
#include "metrics/figures.h"
#include "salvo/v1/report.pb.h"

namespace httplib {
class Server;
}

namespace salvo::output {

using driver::IntervalParts;

class MetricsExporter {
 public:
  // Serves on `host_port` ("127.0.0.1:9464"; port 0 picks a free one) until destroyed. Serving
  // never holds up the run: a client gets 2 s per read or write, and the destructor does not wait
  // for clients (a slow one is cut off when the process ends).
  static absl::StatusOr<std::unique_ptr<MetricsExporter>> Listen(const std::string& host_port);
  // Not serving; for rendering the exposition alone.
  MetricsExporter();
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  uint16_t port() const { return port_; }

  void AddInterval(const v1::IntervalPoint& merged, const driver::IntervalParts& parts);
  // The run ended: its totals replace the running sums, and its status the "running" one.
  void Finish(const v1::RunReport& report);

  // The exposition as it would be served now.
  std::string Text() const;

 private:
  mutable absl::Mutex mu_;
  // Cumulative counters by agent; "total" for all of them.
  std::map<std::string, metrics::CounterValues> counters_ ABSL_GUARDED_BY(mu_);
  // The last merged interval and each agent's part of it.
  v1::IntervalPoint last_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Interval> last_parts_ ABSL_GUARDED_BY(mu_);
  double last_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  // Round trips so far: count and sum of seconds, for the summary's _count and _sum.
  uint64_t round_trips_ ABSL_GUARDED_BY(mu_) = 0;
  double round_trip_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  std::string status_ ABSL_GUARDED_BY(mu_) = "running";

  // What the server thread shares with this object, which may go first (see the destructor):
  // whether it may still be read, and whether the thread has ended.
  struct Serving;
  std::shared_ptr<Serving> serving_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace salvo::output
