// The controller's side of one agent's Run stream, behind an interface so that the driver's
// decisions (start, heartbeats, loss, stop) can be tested over a fake link without gRPC.
//
//   std::unique_ptr<AgentLink> link = MakeGrpcAgentLink(address, security);
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

#include "absl/status/status.h"
#include "controller/channel.h"
#include "salvo/v1/agent.pb.h"

namespace salvo::controller {

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

// The real link: a gRPC Run stream on a channel to `address`.
AgentLinkPtr MakeGrpcAgentLink(size_t index, const std::string& address,
                               const ControlSecurity& security);

}  // namespace salvo::controller
