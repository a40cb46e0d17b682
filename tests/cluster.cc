#include "tests/cluster.h"

#include <sys/socket.h>

#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "controller/grpc_agent_link.h"
#include "net/socket.h"
#include "output/render.h"
#include "tests/test_util.h"

namespace salvo::testing {

RawRun::RawRun(const std::string& agent)
    : stub(v1::Agent::NewStub(grpc::CreateChannel(agent, grpc::InsecureChannelCredentials()))),
      stream(stub->Run(&context)) {}

v1::RunRequest SpecRequest(uint16_t target_port, v1::Workload workload, uint32_t connections) {
  v1::RunRequest req;
  v1::RunSpec* spec = req.mutable_spec();
  v1::LoadSpec* load = spec->mutable_load();
  load->set_target(absl::StrCat("127.0.0.1:", target_port));
  load->set_workload(workload);
  load->set_message_size(64);
  load->set_duration_ms(60000);
  load->set_interval_ms(200);
  spec->set_connections(connections);
  return req;
}

target::TargetServer& Cluster::StartTarget(target::TargetMode mode, const TargetOptions& options) {
  target::TargetConfig config;
  config.listen = "127.0.0.1:0";
  config.mode = mode;
  config.threads = options.threads;
  config.message_size = options.message_size;
  config.engine = options.engine;
  config.send_mode = options.send_mode;
  absl::StatusOr<std::unique_ptr<target::TargetServer>> server =
      target::TargetServer::Start(config);
  if (!server.ok()) {
    ADD_FAILURE() << "target: " << server.status();
    std::abort();  // the test cannot go on without its target
  }
  targets_.push_back(std::move(*server));
  return *targets_.back();
}

agent::AgentServer& Cluster::StartAgent(agent::AgentSecurity security) {
  agent::AgentConfig config;
  config.listen = "127.0.0.1:0";
  config.security = std::move(security);
  config.log = &log_;
  absl::StatusOr<std::unique_ptr<agent::AgentServer>> a = agent::AgentServer::Start(config);
  if (!a.ok()) {
    ADD_FAILURE() << "agent: " << a.status();
    std::abort();
  }
  agents_.push_back(std::move(*a));
  return *agents_.back();
}

void Cluster::StartAgents(int n) {
  for (int i = 0; i < n; ++i) StartAgent();
}

driver::RunConfig Cluster::Config(workload::Kind kind, uint16_t target_port, uint32_t connections) {
  driver::RunConfig c;
  for (auto& a : agents_) c.agents.push_back(a->address());
  c.target = absl::StrCat("127.0.0.1:", target_port);
  c.workload = kind;
  c.connections = connections;
  // Two intervals, over a second: long enough for every count a test checks, short enough that
  // the suite's many runs leave the cores to each other (each saturates one or two).
  c.duration = absl::Seconds(1);
  c.warmup = absl::ZeroDuration();
  c.interval = absl::Milliseconds(500);
  c.threads = 2;
  c.live = false;
  return c;
}

v1::RunReport Cluster::Run(const driver::RunConfig& config, const driver::RunHooks& hooks) {
  v1::RunReport report =
      driver::DriveRun(config, hooks, controller::GrpcAgentAccess(config.security));
  if (HasFailure() || report.status() != v1::RUN_STATUS_OK) {
    std::cerr << output::RenderReport(report);
  }
  return report;
}

v1::RunReport Cluster::RunUntilIntervals(driver::RunConfig config, int lines,
                                         const std::function<void()>& action) {
  absl::Notification reached;
  int seen = 0;
  IntervalHook hook([&](const v1::IntervalPoint&) {
    if (++seen == lines) reached.Notify();
  });
  driver::RunHooks hooks;
  hooks.sinks = {&hook};
  std::thread actor([&] {
    if (reached.WaitForNotificationWithTimeout(absl::Seconds(30))) action();
  });
  v1::RunReport r = driver::DriveRun(config, hooks, controller::GrpcAgentAccess(config.security));
  if (!reached.HasBeenNotified()) reached.Notify();
  actor.join();
  // The caller's expectations come after this returns: show the report whenever the run was not
  // ok, so a failure is explained.
  if (HasFailure() || r.status() != v1::RUN_STATUS_OK) std::cerr << output::RenderReport(r);
  return r;
}

uint16_t Cluster::FreePort() {
  net::Fd fd = *net::ListenTcp(*net::ResolveHostPort("127.0.0.1:0", true), {});
  return net::LocalAddress(fd.get())->port();
}

uint64_t Cluster::AcceptedBeforeProbe(target::TargetServer& target) {
  const uint64_t before = target.Totals().counters().connections_established();
  net::Fd probe = *net::NewTcpSocket(AF_INET);
  const net::SocketAddress to = target.address();
  ::connect(probe.get(), to.get(), to.length);
  const bool accepted =
      WaitFor([&] { return target.Totals().counters().connections_established() > before; },
              absl::Seconds(5));
  EXPECT_TRUE(accepted) << "the target never accepted the probe connection";
  return target.Totals().counters().connections_established() - 1;
}

}  // namespace salvo::testing
