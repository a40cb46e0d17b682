#include "agent/agent_service.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/agent_run.h"
#include "cli/cli.h"
#include "grpcpp/grpcpp.h"
#include "net/address.h"
#include "net/engine_factory.h"
#include "process/signals.h"

namespace salvo::agent {
namespace {

std::string Hostname() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

grpc::Status ToGrpc(const absl::Status& s) {
  // The canonical codes share their numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Equal strings compare in time that depends only on the secret's length.
bool ConstantTimeEquals(absl::string_view given, absl::string_view secret) {
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < secret.size(); ++i) {
    diff |= static_cast<unsigned char>((i < given.size() ? given[i] : 0) ^ secret[i]);
  }
  return diff == 0;
}

std::vector<net::Cidr> Loopback() {
  return {*net::Cidr::Parse("127.0.0.0/8"), *net::Cidr::Parse("::1/128")};
}

}  // namespace

absl::StatusOr<AgentSecurity> LoadAgentSecurity(const std::vector<std::string>& allow_targets,
                                                const std::string& token_file,
                                                const std::string& tls_cert,
                                                const std::string& tls_key,
                                                const std::string& tls_ca) {
  AgentSecurity s;
  for (const std::string& text : allow_targets) {
    absl::StatusOr<net::Cidr> cidr = net::Cidr::Parse(text);
    if (!cidr.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--allow-target: ", cidr.status().message()));
    }
    s.allow_targets.push_back(*cidr);
  }
  absl::StatusOr<cli::TlsFiles> tls = cli::ReadTlsFiles(tls_cert, tls_key, tls_ca);
  if (!tls.ok()) return tls.status();
  if (!tls->ca.empty() && tls->cert.empty()) {
    return absl::InvalidArgumentError("--tls-ca (mutual TLS) needs --tls-cert and --tls-key");
  }
  s.tls_cert = tls->cert;
  s.tls_key = tls->key;
  s.tls_ca = tls->ca;
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = cli::ReadTokenFile(token_file);
    if (!token.ok()) return token.status();
    s.token = *token;
  }
  return s;
}

AgentService::AgentService(std::ostream* log, AgentSecurity security)
    : log_(log), security_(std::move(security)), hostname_(Hostname()) {}

void AgentService::Log(const std::string& line) {
  if (log_ == nullptr) return;
  absl::MutexLock lock(&log_mu_);
  *log_ << absl::FormatTime("%H:%M:%S ", absl::Now(), absl::LocalTimeZone()) << line << std::endl;
}

grpc::Status AgentService::Authenticate(grpc::ServerContext* context, absl::string_view rpc) {
  if (security_.token.empty()) return grpc::Status::OK;
  const auto& metadata = context->client_metadata();
  const auto it = metadata.find("authorization");
  const absl::string_view given = it == metadata.end()
                                      ? absl::string_view()
                                      : absl::string_view(it->second.data(), it->second.size());
  if (ConstantTimeEquals(given, absl::StrCat("Bearer ", security_.token))) return grpc::Status::OK;
  Log(absl::StrCat("refused ", rpc, " from ", context->peer(),
                   it == metadata.end() ? ": no token" : ": wrong token"));
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "this agent needs its token (--token-file): missing or wrong");
}

grpc::Status AgentService::Info(grpc::ServerContext* context, const v1::InfoRequest*,
                                v1::InfoResponse* response) {
  if (grpc::Status s = Authenticate(context, "Info"); !s.ok()) return s;
  response->set_version(SALVO_VERSION);
  response->set_hostname(hostname_);
  response->set_cores(std::thread::hardware_concurrency());
  for (const std::string& e : net::AvailableEngines()) response->add_engines(e);
  response->set_busy(busy_.load());
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
  // Checked before the reader thread exists, so the error reaches the caller as the status.
  absl::StatusOr<LoadPlan> plan =
      PrepareRun(spec, security_.allow_targets.empty() ? Loopback() : security_.allow_targets);
  if (!plan.ok()) {
    Log(absl::StrCat("refused a run from ", context->peer(), ": ", plan.status().message()));
    return ToGrpc(plan.status());
  }
  Log(absl::StrCat("run from ", context->peer(), ": ", v1::Workload_Name(spec.workload()), " ",
                   spec.connections(), " connections to ", spec.target()));

  RunSignals signals;
  std::atomic<bool> result_sent{false};
  absl::Notification reader_done;
  // The lease: any controller message renews it.
  std::atomic<int64_t> last_heard_ns{absl::GetCurrentTimeNanos()};
  const absl::Duration lease = absl::Milliseconds(spec.lease_ms());
  // The controller's messages are read on their own thread so the run never blocks on them; the
  // stream allows one reader and one writer at a time.
  std::thread reader([&] {
    v1::RunRequest request;
    while (stream->Read(&request)) {
      last_heard_ns.store(absl::GetCurrentTimeNanos());
      if (request.has_start()) {
        signals.start_at_unix_ns.store(request.start().start_at_unix_ns());
        signals.NotifyStart();
      }
      if (request.has_stop()) signals.NotifyStop(/*abort_now=*/false);
    }
    // The stream ended: after the result that is the controller closing in order; before it,
    // the controller is gone and the load must stop now.
    signals.NotifyStop(/*abort_now=*/!result_sent.load());
    reader_done.Notify();
  });

  // A controller that is silent past the lease (host gone, network cut, no FIN or RST) is treated
  // like a broken stream: the load stops at once.
  absl::Notification run_done;
  std::thread watchdog([&] {
    if (lease <= absl::ZeroDuration()) return;
    while (!run_done.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      if (absl::Now() - absl::FromUnixNanos(last_heard_ns.load()) > lease && !result_sent.load()) {
        Log(absl::StrCat("run from ", context->peer(), ": no word from the controller for ",
                         absl::FormatDuration(lease), "; stopping the load"));
        signals.NotifyStop(/*abort_now=*/true);
        return;
      }
    }
  });

  absl::Mutex write_mu;
  const absl::Status status =
      ExecuteRun(spec, *plan, AgentIdentity{hostname_}, signals, [&](const v1::RunResponse& r) {
        absl::MutexLock lock(&write_mu);
        if (r.has_result()) result_sent.store(true);
        return stream->Write(r);
      });
  run_done.Notify();
  watchdog.join();
  // Give the controller a moment to close its side; a silent one is cancelled so the reader
  // thread cannot hold this handler.
  if (!reader_done.WaitForNotificationWithTimeout(absl::Seconds(2))) context->TryCancel();
  reader.join();
  Log(absl::StrCat("run from ", context->peer(), " ended: ",
                   status.ok() ? (signals.abort.load() ? "controller went away" : "ok")
                               : std::string(status.message())));
  return ToGrpc(status);
}

absl::StatusOr<std::unique_ptr<AgentServer>> AgentServer::Start(const AgentConfig& config) {
  std::string host;
  uint16_t port = 0;
  if (absl::Status s = net::SplitHostPort(config.listen, &host, &port, /*allow_zero_port=*/true);
      !s.ok()) {
    return s;
  }
  std::unique_ptr<AgentServer> server(new AgentServer());
  server->host_ = host;
  server->service_ = std::make_unique<AgentService>(config.log, config.security);
  int selected_port = 0;
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  const AgentSecurity& sec = config.security;
  if (!sec.tls_cert.empty()) {
    grpc::SslServerCredentialsOptions tls(
        sec.tls_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                           : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = sec.tls_ca;
    tls.pem_key_cert_pairs.push_back({sec.tls_key, sec.tls_cert});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(config.listen, credentials, &selected_port);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen, " (address in use or not on this host?)"));
  }
  server->port_ = static_cast<uint16_t>(selected_port);
  return server;
}

AgentServer::~AgentServer() { Shutdown(); }

std::string AgentServer::address() const {
  return host_.find(':') != std::string::npos ? absl::StrCat("[", host_, "]:", port_)
                                              : absl::StrCat(host_, ":", port_);
}

void AgentServer::Shutdown(absl::Duration grace) {
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
    server_.reset();
  }
}

void AgentServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

int RunAgentMain(const AgentConfig& config, std::ostream& out, std::ostream& err) {
  const sigset_t signals = process::BlockStopSignals();

  AgentConfig effective = config;
  effective.log = &out;
  absl::StatusOr<std::unique_ptr<AgentServer>> server = AgentServer::Start(effective);
  if (!server.ok()) {
    err << "salvo-agent: " << server.status().message() << "\n";
    return 1;
  }
  if (!config.port_file.empty()) std::ofstream(config.port_file) << (*server)->port() << "\n";
  const AgentSecurity& sec = config.security;
  std::vector<std::string> allowed;
  for (const net::Cidr& c : sec.allow_targets.empty() ? Loopback() : sec.allow_targets) {
    allowed.push_back(c.text());
  }
  out << "salvo-agent " << SALVO_VERSION << " listening on " << (*server)->address() << " ("
      << (sec.tls_cert.empty() ? "plaintext"
          : sec.tls_ca.empty() ? "TLS"
                               : "mutual TLS")
      << (sec.token.empty() ? "" : ", token required")
      << "; targets allowed: " << absl::StrJoin(allowed, ", ") << ")" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  out << "salvo-agent: shutting down" << std::endl;
  (*server)->Shutdown();
  return 0;
}

}  // namespace salvo::agent
