// How the driver reaches its agents, as interfaces: a probe (who each agent is, its clock) and a
// link per agent (its Run stream). The driver's decisions (start barrier, heartbeats, loss,
// stop) are written against these alone, so they run over gRPC (controller/grpc_agent_link.h),
// over an agent in this process (load/local_agent.h) and over the fakes of the tests alike.
//
//   AgentAccess access = controller::GrpcAgentAccess(security);
//   AgentLinkPtr link = access.link(0, "10.0.0.7:7100");
//   link->Open(spec, [&](LinkEvent e) { queue.Push(std::move(e)); });
//   link->Send(start);
//   ...
//   link->CloseSend();   // after the result
//   link->Join();        // the reader has delivered the stream's end
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "salvo/v1/agent.pb.h"

namespace salvo::driver {

// One message from an agent, or the end of its stream.
struct LinkEvent {
  size_t agent = 0;
  // Empty: the stream ended, with `status`.
  std::optional<v1::RunResponse> response;
  absl::Status status;
};

class AgentLink {
 public:
  virtual ~AgentLink() = default;
  // Opens the run stream and sends the spec. Every message the agent sends, then the stream's
  // end, goes to `sink`, from another thread, in order.
  virtual void Open(const v1::RunSpec& spec, std::function<void(LinkEvent)> sink) = 0;
  // Best effort: a message to a broken stream is dropped (its end event says why).
  virtual void Send(const v1::RunRequest& request) = 0;
  // Says the controller has nothing more to send (after the agent's result).
  virtual void CloseSend() = 0;
  // Breaks the stream now; its end event follows.
  virtual void Cancel() = 0;
  // Waits until the end event has been delivered. Safe to call more than once.
  virtual void Join() = 0;
};

using AgentLinkPtr = std::unique_ptr<AgentLink>;
// Makes the link for agent `index`, named `address`.
using AgentLinkFactory = std::function<AgentLinkPtr(size_t index, const std::string& address)>;

// What `salvo agents` and the start of every run learn about an agent: whether it answers, who
// it is, whether it speaks this controller's protocol, and its clock offset.
struct AgentProbe {
  std::string agent;
  bool reachable = false;
  // It answered, but refused us: credentials (token, TLS), not the network.
  bool refused = false;
  // Empty when the agent answered its Info and clock probes and speaks our protocol.
  std::string error;
  v1::InfoResponse info;
  double clock_offset_ms = 0;  // agent clock minus controller clock
  double clock_error_ms = 0;
  double clock_rtt_ms = 0;
};

// How the driver reaches its agents: the real one speaks gRPC, salvo-load's runs an agent in
// the process, tests give fakes.
struct AgentAccess {
  std::function<std::vector<AgentProbe>(const std::vector<std::string>&)> probe;
  AgentLinkFactory link;
};

}  // namespace salvo::driver
