// The whole system in one process for tests: salvo-targets, salvo-agents (real gRPC servers on
// loopback, port 0) and the controller library, over real sockets. One fixture for the
// in-process, multi-agent and sweep tests, so each test says only what differs.
//
//   class MyTest : public salvo::testing::Cluster {};
//   TEST_F(MyTest, Echo) {
//     target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
//     StartAgents(2);
//     v1::RunReport r = Run(Config(workload::Kind::kEcho, target.port(), 20));
//   }
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/agent_service.h"
#include "driver/run_driver.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "salvo/v1/agent.grpc.pb.h"
#include "salvo/v1/report.pb.h"
#include "target/target_server.h"

namespace salvo::testing {

// How a test's target differs from the default echo target.
struct TargetOptions {
  int threads = 1;
  uint64_t message_size = 64 * 1024;  // source mode
  net::EngineKind engine = net::EngineKind::kAuto;
  net::SendMode send_mode = net::SendMode::kCopy;
};

// An agent's Run stream driven by hand, as a controller that misbehaves would.
struct RawRun {
  explicit RawRun(const std::string& agent);
  bool Send(const v1::RunRequest& r) { return stream->Write(r); }

  grpc::ClientContext context;
  std::unique_ptr<v1::Agent::Stub> stub;
  std::unique_ptr<grpc::ClientReaderWriter<v1::RunRequest, v1::RunResponse>> stream;
};

// A spec for RawRun: `connections` 64-byte `workload` connections to 127.0.0.1:`target_port`
// for a minute, with 200 ms intervals and no lease.
v1::RunRequest SpecRequest(uint16_t target_port, v1::Workload workload, uint32_t connections);

// A sink that calls `f` with each merged interval as the driver hands it out: how a test acts
// on a run at a given interval.
class IntervalHook final : public driver::ReportSink {
 public:
  explicit IntervalHook(std::function<void(const v1::IntervalPoint&)> f) : f_(std::move(f)) {}
  void OnInterval(const v1::IntervalPoint& merged, const driver::IntervalParts&) override {
    f_(merged);
  }
  absl::Status OnReport(const v1::RunReport&) override { return absl::OkStatus(); }

 private:
  std::function<void(const v1::IntervalPoint&)> f_;
};

class Cluster : public ::testing::Test {
 protected:
  target::TargetServer& StartTarget(target::TargetMode mode, const TargetOptions& options = {});
  agent::AgentServer& StartAgent(agent::AgentSecurity security = {});
  void StartAgents(int n);

  // A run through every agent started so far: `connections` to 127.0.0.1:`target_port`, 2 s,
  // no warm-up, 1 s intervals, 2 threads per agent, no live lines.
  driver::RunConfig Config(workload::Kind kind, uint16_t target_port, uint32_t connections);

  // Runs and, when the test has failed or the run was not ok, prints the report a user would
  // have seen.
  v1::RunReport Run(const driver::RunConfig& config,
                    const driver::RunHooks& hooks = driver::RunHooks());

  // Runs `config` with live lines and calls `action` once `lines` intervals have been reported
  // by every agent, however long the set-up took.
  v1::RunReport RunUntilIntervals(driver::RunConfig config, int lines,
                                  const std::function<void()>& action);

  // A loopback port nothing listens on.
  static uint16_t FreePort();

  // Proves that `target` accepted no connection so far without sleeping: connects once itself
  // and waits for that accept; the listen queue is first-in first-out, so any earlier connect
  // would have been accepted before it. Returns the target's accepts other than the probe's.
  static uint64_t AcceptedBeforeProbe(target::TargetServer& target);

  std::stringstream log_;  // the agents' log lines
  std::vector<std::unique_ptr<target::TargetServer>> targets_;
  std::vector<std::unique_ptr<agent::AgentServer>> agents_;
};

}  // namespace salvo::testing
