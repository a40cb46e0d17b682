// One Run stream on the agent after its spec was accepted: a reader thread turns the
// controller's messages into RunSignals, a watchdog enforces the lease, and CarryOutRun does the
// run, writing its Ready, intervals and result to the stream.
//
// The stream's lifetime is the run's: when the controller's side ends before the result, the
// load stops at once and the sockets close (abort); a controller silent past the lease is
// treated the same way.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "salvo/v1/agent.grpc.pb.h"
#include "worker/agent_run.h"

namespace salvo::agent {

using RunStream = grpc::ServerReaderWriter<v1::RunResponse, v1::RunRequest>;

// Runs `spec` (already checked into `plan`) over `stream` and returns the run's status: OK when
// the run was carried out (even if the controller went away during it; the log says so).
// `signals` may also be notified by the agent itself (RunSignals::StopByAgent).
absl::Status ServeRunStream(grpc::ServerContext* context, RunStream* stream,
                            const v1::RunSpec& spec, const worker::LoadPlan& plan,
                            const worker::AgentIdentity& identity, worker::RunSignals& signals,
                            const std::function<void(std::string)>& log);

}  // namespace salvo::agent
