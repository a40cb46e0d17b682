#include "agent/agent_service.h"

#ifdef _WIN32
#include <process.h>
#else
#include <unistd.h>
#endif

#include <cstdio>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/run_stream.h"
#include "grpc/support/log.h"
#include "grpcpp/grpcpp.h"
#include "host/environment.h"
#include "net/address.h"
#include "net/cidr.h"
#include "net/engine_factory.h"
#include "net/socket.h"
#include "status/status_macros.h"
#include "wire/enums.h"
#include "wire/protocol.h"
#include "worker/agent_run.h"

namespace salvo::agent {
namespace {

// gRPC logs a refused TLS handshake (a controller without a trusted certificate) only to stderr
// in its own format; the agent's log should say it was refused and why. The service that last
// started with a log receives them.
std::atomic<AgentService*> tls_log_target{nullptr};

void ForwardGrpcLog(gpr_log_func_args* args) {
  const absl::string_view message = args->message;
  constexpr absl::string_view kHandshake = "Handshake failed with fatal error ";
  AgentService* target = tls_log_target.load();
  if (target != nullptr && absl::StrContains(message, kHandshake)) {
    // "SSL_ERROR_SSL: error:0A0000C7:SSL routines::peer did not return a certificate."
    absl::string_view reason = message.substr(message.find(kHandshake) + kHandshake.size());
    if (const size_t colons = reason.rfind("::"); colons != absl::string_view::npos) {
      reason = reason.substr(colons + 2);
    }
    target->Log(absl::StrCat("refused a TLS handshake: ", absl::StripSuffix(reason, "."),
                             " (gRPC does not name the peer)"));
    return;
  }
  std::fprintf(stderr, "%s %s:%d] %s\n", gpr_log_severity_string(args->severity), args->file,
               args->line, args->message);
}

grpc::Status ToGrpc(const absl::Status& s) {
  // The canonical codes share their numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

uint32_t OwnPid() {
#ifdef _WIN32
  return static_cast<uint32_t>(_getpid());
#else
  return static_cast<uint32_t>(::getpid());
#endif
}

}  // namespace

AgentService::AgentService(std::ostream* log, AgentSecurity security)
    : log_(log), security_(std::move(security)), hostname_(host::Hostname()) {}

void AgentService::Log(const std::string& line) {
  if (log_ == nullptr) return;
  // One lock for the whole process: tests run several agents that share one log stream.
  static absl::Mutex log_mu(absl::kConstInit);
  absl::MutexLock lock(&log_mu);
  *log_ << absl::FormatTime("%H:%M:%S ", absl::Now(), absl::LocalTimeZone()) << line << std::endl;
}

grpc::Status AgentService::Authenticate(grpc::ServerContext* context, absl::string_view rpc) {
  return agent::Authenticate(security_, context, rpc, [this](std::string line) { Log(line); });
}

grpc::Status AgentService::Info(grpc::ServerContext* context, const v1::InfoRequest*,
                                v1::InfoResponse* response) {
  if (grpc::Status s = Authenticate(context, "Info"); !s.ok()) return s;
  response->set_version(SALVO_VERSION);
  response->set_hostname(hostname_);
  response->set_cores(std::thread::hardware_concurrency());
  response->set_pid(OwnPid());
  for (net::EngineKind e : net::AvailableEngines()) response->add_engines(wire::ToProto(e));
  response->set_busy(busy_.load());
  response->set_protocol_major(wire::kProtocolMajor);
  response->set_protocol_minor(wire::kProtocolMinor);
  return grpc::Status::OK;
}

grpc::Status AgentService::Clock(grpc::ServerContext* context, const v1::ClockRequest*,
                                 v1::ClockResponse* response) {
  if (grpc::Status s = Authenticate(context, "Clock"); !s.ok()) return s;
  response->set_agent_unix_ns(absl::GetCurrentTimeNanos());
  return grpc::Status::OK;
}

grpc::Status AgentService::Run(grpc::ServerContext* context,
                               grpc::ServerReaderWriter<v1::RunResponse, v1::RunRequest>* stream) {
  if (grpc::Status s = Authenticate(context, "Run"); !s.ok()) return s;
  if (busy_.exchange(true)) {
    Log(absl::StrCat("refused a run from ", context->peer(), ": busy"));
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "agent is busy with another run (one run at a time)");
  }
  struct ClearBusy {
    std::atomic<bool>* busy;
    ~ClearBusy() { busy->store(false); }
  } clear_busy{&busy_};

  v1::RunRequest first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "the stream ended before a run spec");
  }
  if (!first.has_spec()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message of Run must be a RunSpec");
  }
  const v1::RunSpec& spec = first.spec();
  // Checked before the stream's reader thread exists, so the error reaches the caller as the
  // call's status.
  absl::StatusOr<worker::LoadPlan> plan = worker::PrepareRun(spec, AllowedTargets(security_));
  if (!plan.ok()) {
    Log(absl::StrCat("refused a run from ", context->peer(), ": ", plan.status().message()));
    return ToGrpc(plan.status());
  }
  Log(absl::StrCat("run from ", context->peer(), ": ", wire::Name(spec.load().workload()), " ",
                   spec.connections(), " connections to ", spec.load().target()));
  worker::RunSignals signals;
  {
    absl::MutexLock lock(&runs_mu_);
    active_ = &signals;
  }
  const absl::Status status =
      ServeRunStream(context, stream, spec, *plan, worker::AgentIdentity{hostname_}, signals,
                     [this](std::string line) { Log(line); });
  {
    absl::MutexLock lock(&runs_mu_);
    active_ = nullptr;
  }
  return ToGrpc(status);
}

void AgentService::StopRuns(const std::string& why) {
  absl::MutexLock lock(&runs_mu_);
  if (active_ != nullptr) active_->StopByAgent(why);
}

absl::StatusOr<std::unique_ptr<AgentServer>> AgentServer::Start(const AgentConfig& config) {
  std::string host;
  uint16_t port = 0;
  SALVO_RETURN_IF_ERROR(net::SplitHostPort(config.listen, &host, &port, /*allow_zero_port=*/true));
  const AgentSecurity& sec = config.security;
  absl::StatusOr<net::SocketAddress> where = net::ResolveHostPort(config.listen, true);
  if (!where.ok()) return where.status();
  if (!net::IsLoopback(*where) && sec.token.empty() && sec.tls_cert.empty() && !config.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to listen on ", config.listen,
        " with neither --token-file nor --tls-cert: anyone who can reach it could make this "
        "agent send load; secure it, or add --insecure"));
  }
  // Every descriptor the hard limit allows: idle connections to the control port must not be
  // what runs the agent out.
  net::RaiseFdLimit();
  std::unique_ptr<AgentServer> server(new AgentServer(config));
  server->host_ = host;
  server->service_ = std::make_unique<AgentService>(config.log, config.security);
  if (config.log != nullptr && !sec.tls_ca.empty()) {
    tls_log_target.store(server->service_.get());
    gpr_set_log_function(&ForwardGrpcLog);
  }
  {
    absl::MutexLock lock(&server->mu_);
    absl::StatusOr<int> bound = server->Build(config.listen);
    if (!bound.ok()) {
      // Say which: the address, or (when it can be bound) the TLS material gRPC refused.
      absl::StatusOr<net::Fd> probe = net::ListenTcp(*where, {});
      if (probe.ok() && !sec.tls_cert.empty()) {
        return absl::InvalidArgumentError(
            "--tls-cert/--tls-key: not a usable PEM certificate and private key pair");
      }
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", config.listen, ": ",
                       probe.ok() ? "refused by gRPC" : std::string(probe.status().message())));
    }
    server->port_ = static_cast<uint16_t>(*bound);
  }
  server->reserve_ = net::ReserveDescriptor();
  server->watcher_ = std::thread([s = server.get()] { s->WatchListener(); });
  return server;
}

AgentServer::AgentServer(const AgentConfig& config) : config_(config) {}

absl::StatusOr<int> AgentServer::Build(const std::string& listen) {
  int selected_port = 0;
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second agent "listen" on this port
  // too and take half the runs: one agent per port, as with any other server.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // A connection that has not finished its HTTP/2 (and TLS) handshake in 5 s is dropped, so
  // idle or slow connections cannot hold the agent's descriptors.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 5000);
  // Connections with no call for a minute are closed; old ones are asked to move on (a Run in
  // progress keeps its stream: the grace after GOAWAY is unbounded).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 30 * 60000);
  // A controller that vanished without a FIN is found within 30 s; a client that pings more
  // often than every 10 s without calls is cut off after two strikes.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddListeningPort(listen, ServerCredentials(config_.security), &selected_port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected_port == 0) {
    server_.reset();
    return absl::UnavailableError("gRPC could not start the server");
  }
  absl::StatusOr<net::Fd> copy = net::DuplicateListener(static_cast<uint16_t>(selected_port));
  // Without a copy the listener is not watched; the agent still serves.
  listener_copy_ = copy.ok() ? std::move(*copy) : net::Fd();
  return selected_port;
}

void AgentServer::WatchListener() {
  // gRPC 1.51 stops accepting for good when accept() fails with EMFILE (grpc/grpc#20418, fixed
  // upstream in 1.57): after a flood of idle connections the agent would stay unreachable
  // though its descriptors came back. A healthy gRPC accepts at once, so connections waiting
  // in the queue for a second mean the listener is dead; the server is then rebuilt on the same
  // port as soon as no run is using it (a run in progress keeps its own connection).
  constexpr absl::Duration kTick = absl::Milliseconds(200);
  constexpr absl::Duration kDeadAfter = absl::Seconds(1);
  absl::Time waiting_since = absl::InfiniteFuture();
  while (!stop_.WaitForNotificationWithTimeout(kTick)) {
    absl::MutexLock lock(&mu_);
    if (server_ == nullptr || !listener_copy_.valid()) continue;
    absl::StatusOr<uint32_t> queued = net::AcceptQueueLength(listener_copy_.get());
    if (!queued.ok() || *queued == 0) {
      waiting_since = absl::InfiniteFuture();
      continue;
    }
    const absl::Time now = absl::Now();
    if (waiting_since == absl::InfiniteFuture()) waiting_since = now;
    if (now - waiting_since < kDeadAfter || service_->busy()) continue;
    service_->Log(absl::StrCat("the control port stopped accepting (", *queued,
                               " connections waiting; it ran out of file descriptors); "
                               "restarting it"));
    StopServer(now);
    // The reserve descriptor makes room for the new listener even if the old one's place was
    // taken meanwhile.
    reserve_.Reset();
    absl::StatusOr<int> bound = Build(address());
    reserve_ = net::ReserveDescriptor();
    if (!bound.ok()) service_->Log("could not restart the control port; trying again");
    waiting_since = absl::InfiniteFuture();
  }
}

AgentServer::~AgentServer() { Shutdown(); }

std::string AgentServer::address() const { return net::JoinHostPort(host_, port_); }

void AgentServer::Shutdown(absl::Duration grace) {
  AgentService* self = service_.get();
  tls_log_target.compare_exchange_strong(self, nullptr);
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (watcher_.joinable()) watcher_.join();
  absl::MutexLock lock(&mu_);
  StopServer(absl::Now() + grace);
}

void AgentServer::StopServer(absl::Time deadline) {
  listener_copy_.Reset();
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
  server_.reset();
}

}  // namespace salvo::agent
