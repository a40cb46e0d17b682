// salvo-agent's gRPC face: the salvo.v1.Agent service and the server that hosts it.
//
//   auto server = AgentServer::Start({.listen = "127.0.0.1:0"});
//   uint16_t port = (*server)->port();
//   ...
//   (*server)->Shutdown();
#pragma once

#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/security.h"
#include "net/fd.h"
#include "salvo/v1/agent.grpc.pb.h"
#include "worker/agent_run.h"

namespace grpc {
class Server;
}

namespace salvo::agent {

struct AgentConfig {
  std::string listen = "127.0.0.1:7100";
  std::string port_file;
  // Log lines (run started/ended, refusals) go to this stream; null for none.
  std::ostream* log = nullptr;
  AgentSecurity security;
  // Listen beyond loopback with neither a token nor TLS (anyone who reaches the port could make
  // the agent send load). Without it, such a --listen is refused.
  bool insecure = false;
};

class AgentService final : public v1::Agent::Service {
 public:
  AgentService(std::ostream* log, AgentSecurity security);

  grpc::Status Info(grpc::ServerContext* context, const v1::InfoRequest* request,
                    v1::InfoResponse* response) override;
  grpc::Status Clock(grpc::ServerContext* context, const v1::ClockRequest* request,
                     v1::ClockResponse* response) override;
  grpc::Status Run(grpc::ServerContext* context,
                   grpc::ServerReaderWriter<v1::RunResponse, v1::RunRequest>* stream) override;

  bool busy() const { return busy_.load(); }
  void Log(const std::string& line);

  // Ends the run in progress, if any, as the controller's Stop would (the load drains and the
  // result is sent), with `why` as the result's error. For a shutting-down agent.
  void StopRuns(const std::string& why);

 private:
  grpc::Status Authenticate(grpc::ServerContext* context, absl::string_view rpc);

  std::ostream* const log_;
  const AgentSecurity security_;
  const std::string hostname_;
  std::atomic<bool> busy_{false};
  absl::Mutex runs_mu_;
  worker::RunSignals* active_ ABSL_GUARDED_BY(runs_mu_) = nullptr;
};

class AgentServer {
 public:
  static absl::StatusOr<std::unique_ptr<AgentServer>> Start(const AgentConfig& config);
  ~AgentServer();

  uint16_t port() const { return port_; }
  std::string address() const;
  // Stops serving; runs still going after `grace` are cancelled.
  void Shutdown(absl::Duration grace = absl::Seconds(3));
  AgentService& service() { return *service_; }

 private:
  explicit AgentServer(const AgentConfig& config);
  // Starts the gRPC server on `listen`; returns the bound port.
  absl::StatusOr<int> Build(const std::string& listen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stops the gRPC server; calls still going at `deadline` are cancelled.
  void StopServer(absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WatchListener();

  const AgentConfig config_;
  std::string host_;
  uint16_t port_ = 0;
  std::unique_ptr<AgentService> service_;
  absl::Mutex mu_;
  std::unique_ptr<grpc::Server> server_ ABSL_GUARDED_BY(mu_);
  // A copy of gRPC's listening socket, to see its accept queue.
  net::Fd listener_copy_ ABSL_GUARDED_BY(mu_);
  // Held so that a restart finds a free descriptor for the new listener.
  net::Fd reserve_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread watcher_;
};

}  // namespace salvo::agent
