// salvo-target, the reference server: echo, sink or source on every engine salvo has.
//
//   TargetConfig config{.listen = "127.0.0.1:0", .mode = TargetMode::kEcho};
//   auto server = TargetServer::Start(config);
//   uint16_t port = (*server)->port();
//   ...
//   (*server)->Stop();
//   v1::TargetTotals totals = (*server)->Totals();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "enums/enum_table.h"
#include "metrics/thread_stats.h"
#include "net/address.h"
#include "net/engine_factory.h"
#include "net/fd.h"
#include "salvo/v1/report.pb.h"
#include "workload/pattern.h"

namespace salvo::target {

enum class TargetMode { kEcho, kSink, kSource };

inline constexpr enums::EnumTable<TargetMode, 3> kTargetModes{
    "mode",
    {{{TargetMode::kEcho, "echo"}, {TargetMode::kSink, "sink"}, {TargetMode::kSource, "source"}}}};

struct TargetConfig {
  std::string listen = "127.0.0.1:7000";
  TargetMode mode = TargetMode::kEcho;
  // Source mode: the size of each pushed message.
  uint64_t message_size = 64 * 1024;
  int threads = 1;
  net::EngineKind engine = net::EngineKind::kAuto;
  net::SendMode send_mode = net::SendMode::kCopy;
  int sndbuf = 0;
  int rcvbuf = 0;
  // Where to write the bound port (useful with port 0); empty for none.
  std::string port_file;
  std::string json_out;
  // No per-second stats lines on stdout (the start line and the final summary stay).
  bool quiet = false;
};

class TargetServer {
 public:
  static absl::StatusOr<std::unique_ptr<TargetServer>> Start(const TargetConfig& config);
  ~TargetServer();

  uint16_t port() const { return address_.port(); }
  const net::EngineChoice& engine() const { return engine_; }
  const net::SocketAddress& address() const { return address_; }
  metrics::StatsSnapshot Snapshot() const { return registry_.Snapshot(); }
  // Totals since the start, for --json-out and tests.
  v1::TargetTotals Totals() const;
  // Stops every worker and closes every connection. Idempotent.
  void Stop();
  // Why a worker's event loop failed (the server then serves on with the others, or not at
  // all); OK while every worker runs.
  absl::Status error() const;

 private:
  explicit TargetServer(const TargetConfig& config)
      : config_(config), pattern_(config.message_size) {}
  // Runs worker `index`: sets up its engine and listener, counts itself started (recording a
  // failure in error_), then serves until Stop.
  void WorkerMain(int index, net::Fd listener);
  void Fail(absl::Status why);

  const TargetConfig config_;
  // What sources send from: immutable, so one serves every worker.
  const workload::Pattern pattern_;
  net::SocketAddress address_;
  net::EngineChoice engine_;
  metrics::StatsRegistry registry_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
  absl::Time started_ = absl::Now();
  mutable absl::Mutex mu_;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int workers_started_ ABSL_GUARDED_BY(mu_) = 0;
};

// The whole salvo-target process after flag parsing: serve until SIGINT or SIGTERM, print a
// line a second and a final summary, write --json-out. Returns the exit code.
int RunTargetMain(const TargetConfig& config, std::ostream& out, std::ostream& err);

}  // namespace salvo::target
