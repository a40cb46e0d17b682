#include "target/target_server.h"

#include <filesystem>

#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/environment.h"
#include "net/socket.h"
#include "plan/limits.h"
#include "process/stop_signal.h"
#include "proto/json.h"
#include "status/status_macros.h"
#include "units/units.h"
#include "wire/enums.h"
#include "wire/figures.h"
#include "workload/pattern.h"

namespace salvo::target {
namespace {

using metrics::Counter;

class TargetConn : public net::ConnectionHandler {
 public:
  TargetConn(net::Engine* engine, std::vector<std::unique_ptr<TargetConn>>* owner)
      : engine_(engine), owner_(owner) {}
  virtual void Begin(net::ConnId id) { id_ = id; }
  void OnRecv(net::ConnId, const uint8_t*, size_t) override {}
  void OnSendDone(net::ConnId) override {}
  void OnClosed(net::ConnId id, absl::Status) override { (*owner_)[id].reset(); }

 protected:
  net::Engine* const engine_;
  std::vector<std::unique_ptr<TargetConn>>* const owner_;
  net::ConnId id_ = 0;
};

class EchoConn final : public TargetConn {
 public:
  using TargetConn::TargetConn;
  void OnRecv(net::ConnId id, const uint8_t* data, size_t len) override {
    // The engine's receive buffer is reused, so the bytes are copied before they are sent back;
    // reading pauses until they are gone, which passes the client's pace back to it.
    buffer_.assign(data, data + len);
    engine_->SetReceiving(id, false);
    engine_->Send(id, buffer_.data(), buffer_.size());
  }
  void OnSendDone(net::ConnId id) override { engine_->SetReceiving(id, true); }

 private:
  std::vector<uint8_t> buffer_;
};

class SourceConn final : public TargetConn {
 public:
  SourceConn(net::Engine* engine, std::vector<std::unique_ptr<TargetConn>>* owner,
             const workload::Pattern* pattern, uint64_t size)
      : TargetConn(engine, owner), pattern_(pattern), size_(size) {}
  void Begin(net::ConnId id) override {
    TargetConn::Begin(id);
    SendNext();
  }
  void OnSendDone(net::ConnId) override { SendNext(); }

 private:
  void SendNext() {
    engine_->Send(id_, pattern_->At(offset_), size_);
    offset_ += size_;
  }
  const workload::Pattern* const pattern_;
  const uint64_t size_;
  uint64_t offset_ = 0;
};

class Acceptor final : public net::AcceptHandler {
 public:
  Acceptor(net::Engine* engine, TargetMode mode, const workload::Pattern* pattern, uint64_t size)
      : engine_(engine), mode_(mode), pattern_(pattern), size_(size) {}

  net::ConnectionHandler* OnAccept(net::ConnId id) override {
    if (conns_.size() <= id) conns_.resize(id + 1);
    switch (mode_) {
      case TargetMode::kEcho:
        conns_[id] = std::make_unique<EchoConn>(engine_, &conns_);
        break;
      case TargetMode::kSink:
        conns_[id] = std::make_unique<TargetConn>(engine_, &conns_);
        break;
      case TargetMode::kSource:
        conns_[id] = std::make_unique<SourceConn>(engine_, &conns_, pattern_, size_);
        break;
    }
    conns_[id]->Begin(id);
    return conns_[id].get();
  }

 private:
  net::Engine* const engine_;
  const TargetMode mode_;
  const workload::Pattern* const pattern_;
  const uint64_t size_;
  std::vector<std::unique_ptr<TargetConn>> conns_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TargetServer>> TargetServer::Start(const TargetConfig& config) {
  if (config.threads < 1 || static_cast<uint32_t>(config.threads) > plan::MaxThreads()) {
    return absl::InvalidArgumentError(absl::StrCat("--threads must be 1-", plan::MaxThreads(), " (",
                                                   plan::kMaxThreadsPerCore, " per core), got ",
                                                   config.threads));
  }
  if (config.message_size == 0 || config.message_size > plan::kMaxMessageSize) {
    return absl::InvalidArgumentError("--size must be 1 byte to 1g");
  }
  SALVO_ASSIGN_OR_RETURN(net::EngineChoice engine,
                         net::ChooseEngine(config.engine, config.send_mode));
  // Checked before anything is allocated: one shared message buffer, and each worker's engine
  // (sized for many connections: a listener cannot know how many will come).
  SALVO_RETURN_IF_ERROR(net::CheckWorkerMemory(engine.kind, static_cast<uint32_t>(config.threads),
                                               0, config.message_size));
  SALVO_ASSIGN_OR_RETURN(net::SocketAddress address,
                         net::ResolveHostPort(config.listen, /*allow_zero_port=*/true));
  std::unique_ptr<TargetServer> server(new TargetServer(config));
  // Every worker gets its own listening socket on the same port; the first one fixes the port
  // when the user asked for port 0.
  std::vector<net::Fd> listeners;
  net::ListenOptions options;
  options.reuse_port = config.threads > 1;
  for (int i = 0; i < config.threads; ++i) {
    SALVO_ASSIGN_OR_RETURN(net::Fd fd, net::ListenTcp(address, options));
    if (i == 0) {
      SALVO_ASSIGN_OR_RETURN(address, net::LocalAddress(fd.get()));
    }
    listeners.push_back(std::move(fd));
  }
  server->address_ = address;
  server->engine_ = engine;
  // Every worker must be serving before the server counts as started: one that cannot make its
  // engine fails the start instead of leaving a port that accepts and never answers. The
  // hand-over lives in the server, not on this stack: a worker may still be inside its unlock
  // when this thread has already seen the count and returned.
  const int workers = static_cast<int>(listeners.size());
  for (int i = 0; i < workers; ++i) {
    server->workers_.emplace_back(&TargetServer::WorkerMain, server.get(), i,
                                  std::move(listeners[i]));
  }
  absl::Status start_error;
  {
    absl::MutexLock lock(&server->mu_);
    const auto all_started = [&server]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(server->mu_) {
      return server->workers_started_ == static_cast<int>(server->workers_.size());
    };
    server->mu_.Await(absl::Condition(&all_started));
    start_error = server->error_;
  }
  if (!start_error.ok()) {
    server->Stop();
    return start_error;
  }
  return server;
}

TargetServer::~TargetServer() { Stop(); }

void TargetServer::Stop() {
  stopping_.store(true);
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

absl::Status TargetServer::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

void TargetServer::Fail(absl::Status why) {
  absl::MutexLock lock(&mu_);
  if (error_.ok()) error_ = std::move(why);
}

void TargetServer::WorkerMain(int index, net::Fd listener) {
  metrics::ThreadStats& stats = registry_.Local();
  net::EngineOptions options;
  options.timings = stats.timings();
  options.send_mode = config_.send_mode;
  options.sndbuf = config_.sndbuf;
  options.rcvbuf = config_.rcvbuf;
  absl::StatusOr<net::EnginePtr> engine = net::CreateEngine(engine_.kind, options);
  std::unique_ptr<Acceptor> acceptor;
  absl::Status started = engine.status();
  if (engine.ok()) {
    acceptor =
        std::make_unique<Acceptor>(engine->get(), config_.mode, &pattern_, config_.message_size);
    started = (*engine)->Listen(std::move(listener), acceptor.get());
  }
  if (!started.ok()) {
    Fail(absl::Status(started.code(), absl::StrCat("worker ", index, ": ", started.message())));
  }
  {
    absl::MutexLock lock(&mu_);
    ++workers_started_;
  }
  if (!started.ok()) return;
  while (!stopping_.load(std::memory_order_relaxed)) {
    absl::Status polled = (*engine)->Poll(absl::Milliseconds(20));
    stats.PublishEngine((*engine)->counters());
    if (!polled.ok()) {
      Fail(polled);
      break;
    }
  }
  // The engine closes every connection as it goes; the acceptor's handlers outlive it.
  engine->reset();
}

v1::TargetTotals TargetServer::Totals() const {
  const metrics::StatsSnapshot s = registry_.Snapshot();
  const double elapsed_s = absl::ToDoubleSeconds(absl::Now() - started_);
  v1::TargetTotals t;
  t.set_mode(std::string(kTargetModes.Name(config_.mode)));
  t.set_listen(address_.ToString());
  t.set_elapsed_s(elapsed_s);
  wire::CountersToProto(s.counters, t.mutable_counters());
  wire::RatesToProto(metrics::ComputeRates(s.counters, elapsed_s), t.mutable_rates());
  t.set_engine(wire::ToProto(engine_.kind));
  t.set_send_mode(wire::ToProto(config_.send_mode));
  wire::TimingsToProto(s.timings, /*with_histograms=*/false, t.mutable_timings());
  return t;
}

namespace {

std::string RateLine(const metrics::StatsSnapshot& d, double seconds, uint64_t open) {
  const metrics::RateValues r = metrics::ComputeRates(d.counters, seconds);
  std::string line = absl::StrFormat(
      "conns %llu open | in %s MB/s  out %s MB/s | recv/s %s  send/s %s",
      static_cast<unsigned long long>(open), units::FormatMBps(r[metrics::Rate::kMbPerSecReceived]),
      units::FormatMBps(r[metrics::Rate::kMbPerSecSent]),
      units::FormatCount(r[metrics::Rate::kRecvCallsPerSec]),
      units::FormatCount(r[metrics::Rate::kSendCallsPerSec]));
  if (const uint64_t refused = d.counters[metrics::Counter::kAcceptsRefused]; refused > 0) {
    absl::StrAppend(&line, " | REFUSED ", refused,
                    " connections: out of file descriptors (raise ulimit -n)");
  }
  return line;
}

}  // namespace

int RunTargetMain(const TargetConfig& config, std::ostream& out, std::ostream& err) {
  process::BlockStop();
  // Opened now, so an unwritable path is said before serving instead of lost at the end.
  std::optional<std::ofstream> json;
  if (!config.json_out.empty()) {
    if (std::error_code ec; std::filesystem::is_directory(config.json_out, ec)) {
      err << "salvo-target: --json-out " << config.json_out << " is a directory, not a file\n";
      return 2;
    }
    json.emplace(config.json_out, std::ios::trunc);
    if (!*json) {
      err << "salvo-target: cannot write --json-out " << config.json_out << ": "
          << std::strerror(errno) << "\n";
      return 1;
    }
  }
  absl::StatusOr<std::unique_ptr<TargetServer>> server = TargetServer::Start(config);
  if (!server.ok()) {
    err << "salvo-target: " << server.status().message() << "\n";
    // A setting no run could use is a usage error, as everywhere in salvo; a port in use or an
    // address not of this host is not.
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  TargetServer& s = **server;
  if (!config.port_file.empty()) {
    std::ofstream port_file(config.port_file, std::ios::trunc);
    port_file << s.port() << "\n";
    if (!port_file.flush()) {
      err << "salvo-target: cannot write --port-file " << config.port_file << ": "
          << std::strerror(errno) << "\n";
      return 1;
    }
  }
  if (!s.engine().note.empty()) out << "salvo-target: " << s.engine().note << std::endl;
  out << "salvo-target " << kTargetModes.Name(config.mode) << " listening on "
      << s.address().ToString() << " (" << net::kEngineKinds.Name(s.engine().kind) << ", "
      << net::kSendModes.Name(config.send_mode) << " sends, " << config.threads << " thread"
      << (config.threads == 1 ? "" : "s")
      << (config.mode == TargetMode::kSource
              ? absl::StrCat(", ", config.message_size, "-byte messages")
              : "")
      << ")" << std::endl;
  metrics::StatsSnapshot last = s.Snapshot();
  absl::Time last_time = absl::Now();
  for (;;) {
    if (!process::WaitForStop(absl::Seconds(1)).empty()) break;
    if (absl::Status e = s.error(); !e.ok()) {
      err << "salvo-target: a worker's event loop failed: " << e.message() << "\n";
      break;
    }
    const metrics::StatsSnapshot now = s.Snapshot();
    const absl::Time t = absl::Now();
    if (!config.quiet) {
      const uint64_t open =
          now.Get(Counter::kConnectionsEstablished) - now.Get(Counter::kClosedByPeer);
      out << RateLine(now.Since(last), absl::ToDoubleSeconds(t - last_time), open) << std::endl;
    }
    last = now;
    last_time = t;
  }
  s.Stop();
  v1::TargetTotals totals = s.Totals();
  const v1::Counters& c = totals.counters();
  out << absl::StrFormat(
             "salvo-target done after %.1fs: %llu connections accepted, received %s in %llu "
             "calls, sent %s in %llu calls",
             totals.elapsed_s(), static_cast<unsigned long long>(c.connections_established()),
             units::FormatBytes(c.bytes_received()),
             static_cast<unsigned long long>(c.recv_calls()), units::FormatBytes(c.bytes_sent()),
             static_cast<unsigned long long>(c.send_calls()))
      << std::endl;
  const v1::LatencySummary& send_call =
      wire::FindSummary(totals.timings(), metrics::Timing::kSendCall);
  if (send_call.count() > 0) {
    out << absl::StrFormat("send side (%s, %s): send call p50 %s, p99 %s",
                           wire::Name(totals.engine()), wire::Name(totals.send_mode()),
                           units::FormatMicros(send_call.p50_us()),
                           units::FormatMicros(send_call.p99_us()));
    if (c.zc_sends() > 0) {
      const v1::LatencySummary& zc =
          wire::FindSummary(totals.timings(), metrics::Timing::kZcCompletion);
      out << absl::StrFormat(
          "; %llu zero-copy sends, completion p50 %s, %.0f%% copied by the kernel",
          static_cast<unsigned long long>(c.zc_sends()), units::FormatMicros(zc.p50_us()),
          100 * metrics::ZcCopiedShare(wire::CountersFromProto(c)));
    }
    out << std::endl;
  }
  const absl::Status failed = s.error();
  if (json.has_value()) {
    *totals.mutable_environment() = host::ReadEnvironment();
    *json << v1::ToJson(totals);
    json->flush();
    if (!*json) {
      err << "salvo-target: cannot write " << config.json_out << ": " << std::strerror(errno)
          << "\n";
      return 1;
    }
  }
  return failed.ok() ? 0 : 1;
}

}  // namespace salvo::target
