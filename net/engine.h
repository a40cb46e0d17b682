// The I/O engine seam. A workload talks to connections only through this interface, so the same
// workload runs on any backend (epoll now; io_uring beside it).
//
// An engine is one event loop owned by one thread: every call below, and every callback, happens
// on that thread. The model is completion-style, which both readiness (epoll) and completion
// (io_uring) backends can honour:
//   - Connect() starts a connect; OnConnected reports it. Receives are armed only after the
//     connect succeeded (the origin notes' set-up order: connect, then arm the receive).
//   - Received bytes arrive through OnRecv, at most one delivery per connection per Poll, so a
//     busy connection cannot starve the others (the notes' starved receiver).
//   - Send() hands a buffer over; OnSendDone says every byte of it has been taken by the kernel.
//     One send per connection at a time, which keeps the byte order.
//
//   EpollEngine engine(options);
//   auto id = engine.Connect(target, &handler);
//   while (running) engine.Poll(absl::Milliseconds(10));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/fd.h"

namespace salvo::metrics {
class ThreadStats;
}

namespace salvo::net {

using ConnId = uint32_t;

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // An outgoing connect finished. On error the engine has already released the connection.
  virtual void OnConnected(ConnId id, absl::Status status) {}
  // `data` is valid only during the call.
  virtual void OnRecv(ConnId id, const uint8_t* data, size_t len) = 0;
  // Every byte of the last Send() has been handed to the kernel.
  virtual void OnSendDone(ConnId id) = 0;
  // The connection ended: OK when the peer closed it in order, otherwise why. The engine has
  // released the connection; the id is no longer valid.
  virtual void OnClosed(ConnId id, absl::Status why) = 0;
};

class AcceptHandler {
 public:
  virtual ~AcceptHandler() = default;
  // A connection was accepted. Return the handler for it, or nullptr to close it.
  virtual ConnectionHandler* OnAccept(ConnId id) = 0;
};

// How the bytes of a Send() reach the kernel.
enum class SendMode {
  // send(): copied into the socket buffer, done at once (the origin notes' "fast I/O").
  kCopy,
  // send(MSG_ZEROCOPY) on an SO_ZEROCOPY socket; done when the error queue says the pages are
  // free (the notes' "direct I/O"). Runs on the epoll engine.
  kZeroCopy,
  // io_uring SEND_ZC; done at its F_NOTIF completion. Runs on the io_uring engine.
  kUringZc,
};

absl::StatusOr<SendMode> ParseSendMode(absl::string_view name);
absl::string_view SendModeName(SendMode mode);

struct EngineOptions {
  SendMode send_mode = SendMode::kCopy;
  // SO_SNDBUF / SO_RCVBUF for every socket; 0 keeps the kernel's default (and autotuning).
  int sndbuf = 0;
  int rcvbuf = 0;
  // Upper bound on the bytes one OnRecv delivers.
  size_t recv_chunk_bytes = 64 * 1024;
  // Bytes one connection may send in one Poll before the others get their turn.
  size_t send_budget_bytes = 256 * 1024;
  // Where the engine counts its syscalls and bytes. Required.
  metrics::ThreadStats* stats = nullptr;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual absl::string_view name() const = 0;

  // Starts a nonblocking connect. Errors known at once (fd exhaustion, no route) are returned
  // here and no callback follows; otherwise OnConnected follows.
  virtual absl::StatusOr<ConnId> Connect(const SocketAddress& to, ConnectionHandler* handler) = 0;

  // Accepts connections on `listener` (a nonblocking listening socket) until the engine dies.
  virtual absl::Status Listen(Fd listener, AcceptHandler* handler) = 0;

  // Sends `len` bytes at `data`, which must stay valid and unchanged until OnSendDone.
  virtual void Send(ConnId id, const uint8_t* data, size_t len) = 0;

  // Pauses (false) or resumes (true) OnRecv for a connection: backpressure.
  virtual void SetReceiving(ConnId id, bool on) = 0;

  // Half-closes the sending side once the current send is done.
  virtual void ShutdownWrite(ConnId id) = 0;

  // Closes at once. No callback follows for this id.
  virtual void Close(ConnId id) = 0;

  // Waits up to `timeout` for events, dispatches them and pushes pending sends.
  virtual absl::Status Poll(absl::Duration timeout) = 0;

  virtual size_t open_connections() const = 0;
};

using EnginePtr = std::unique_ptr<Engine>;

}  // namespace salvo::net
