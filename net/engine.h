// The I/O engine seam. A workload talks to connections only through this interface, so the same
// workload runs on every backend: io_uring (completions) and epoll (readiness) on Linux, I/O
// completion ports on Windows.
//
// An engine is one event loop owned by one thread: every call below, and every callback, happens
// on that thread. The model is completion-style, which both readiness and completion backends
// can honour:
//   - Connect() starts a connect; OnConnected reports it. Receives are armed only after the
//     connect succeeded (the origin notes' set-up order: connect, then arm the receive).
//   - Received bytes arrive through OnRecv. Each engine bounds the work one connection gets per
//     Poll so that a busy connection cannot starve the others (the notes' starved receiver):
//     epoll does at most one recv per connection per Poll; io_uring delivers what the kernel
//     completed for it, bounded by the provided buffers the connection can hold.
//   - Send() hands a buffer over; OnSendDone says every byte of it has been taken by the kernel
//     (and, for zero-copy sends, that the kernel no longer reads the buffer). One send per
//     connection at a time, which keeps the byte order.
//   - ScheduleAt() runs a handler at a monotonic instant, from inside Poll.
//
//   absl::StatusOr<EnginePtr> engine = CreateEngine(EngineKind::kIoUring, options);
//   absl::StatusOr<ConnId> id = (*engine)->Connect(target, &handler);
//   while (running) {
//     if (absl::Status s = (*engine)->Poll(absl::Milliseconds(10)); !s.ok()) return s;
//     stats.PublishEngine((*engine)->counters());
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "enums/enum_table.h"
#include "metrics/figures.h"
#include "net/address.h"
#include "net/fd.h"
#include "net/tcp_info.h"

namespace salvo::metrics {
class TimingRecorders;
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

using TimerId = uint64_t;

class TimerHandler {
 public:
  virtual ~TimerHandler() = default;
  // The instant given to ScheduleAt has passed. Called from Poll; may schedule again.
  virtual void OnTimer(TimerId id) = 0;
};

// How the bytes of a Send() reach the kernel.
enum class SendMode {
  // send(): copied into the socket buffer, done at once (the origin notes' "fast I/O").
  kCopy,
  // send(MSG_ZEROCOPY) on an SO_ZEROCOPY socket; done when the error queue says the pages are
  // free (the notes' "direct I/O").
  kZeroCopy,
  // io_uring SEND_ZC; done at its F_NOTIF completion.
  kUringZc,
  // Windows, IOCP engine: SO_SNDBUF = 0, so WSASend takes no copy and completes only once the
  // stack is done with the caller's buffer (the origin notes' "direct I/O").
  kDirect,
};

inline constexpr enums::EnumTable<SendMode, 4> kSendModes{"send mode",
                                                          {{{SendMode::kCopy, "copy"},
                                                            {SendMode::kZeroCopy, "zerocopy"},
                                                            {SendMode::kUringZc, "uring-zc"},
                                                            {SendMode::kDirect, "direct"}}}};

struct EngineOptions {
  SendMode send_mode = SendMode::kCopy;
  // SO_SNDBUF / SO_RCVBUF for every socket; 0 keeps the kernel's default (and autotuning).
  int sndbuf = 0;
  int rcvbuf = 0;
  // Upper bound on the bytes one OnRecv delivers.
  size_t recv_chunk_bytes = 64 * 1024;
  // Bytes, and send calls, one connection may make in one Poll before the others get their
  // turn: with small messages the call count binds (a 1-byte stream would otherwise make 262,144
  // sends on one connection while the rest wait, and the loop would miss its stop deadline).
  size_t send_budget_bytes = 256 * 1024;
  uint32_t send_budget_calls = 16;
  // The connections this engine will own, to size its rings and buffers (io_uring); 0 when not
  // known in advance (a listener), which sizes for many.
  uint32_t expected_connections = 0;
  // Where the engine records its timings (send calls, zero-copy completions); null: untimed.
  metrics::TimingRecorders* timings = nullptr;
  // Timers: wake this long before each deadline and poll without sleeping until it
  // (TimerQueue::set_spin); 0 sleeps to the deadline.
  uint64_t timer_spin_ns = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual absl::string_view name() const = 0;

  // Whether this engine can send in `mode` (see also EngineSupports in engine_factory.h).
  virtual bool Supports(SendMode mode) const = 0;

  // Starts a nonblocking connect, from source address `from` (port 0) when it is not null.
  // Errors known at once (fd exhaustion, no route, no free local port) are returned here and no
  // callback follows; otherwise OnConnected follows.
  virtual absl::StatusOr<ConnId> ConnectFrom(const SocketAddress& to, const SocketAddress* from,
                                             ConnectionHandler* handler) = 0;
  absl::StatusOr<ConnId> Connect(const SocketAddress& to, ConnectionHandler* handler) {
    return ConnectFrom(to, nullptr, handler);
  }

  // Accepts connections on `listener` (a nonblocking listening socket) until the engine dies.
  virtual absl::Status Listen(Fd listener, AcceptHandler* handler) = 0;

  // Sends `len` bytes at `data`, which must stay valid and unchanged until OnSendDone.
  virtual void Send(ConnId id, const uint8_t* data, size_t len) = 0;

  // Pauses (false) or resumes (true) OnRecv for a connection: backpressure.
  virtual void SetReceiving(ConnId id, bool on) = 0;

  // Half-closes the sending side once the current send is done.
  virtual void ShutdownWrite(ConnId id) = 0;

  // Closes at once. No callback follows for this id. Data the kernel still holds for the peer
  // is sent on after the close (and a FIN after it).
  virtual void Close(ConnId id) = 0;

  // Closes at once with a reset (SO_LINGER 0): the kernel discards what the peer has not
  // acknowledged, so nothing more reaches it. No callback follows for this id.
  virtual void Reset(ConnId id) = 0;

  // The kernel's TCP_INFO for an open connection.
  virtual absl::StatusOr<TcpInfo> ReadTcpInfo(ConnId id) const = 0;

  // The local port of an open connection.
  virtual absl::StatusOr<uint16_t> LocalPort(ConnId id) const = 0;

  // Calls handler->OnTimer from Poll once CLOCK_MONOTONIC (metrics::MonoNanos) reaches
  // `mono_ns`. The returned id is never reused.
  virtual TimerId ScheduleAt(uint64_t mono_ns, TimerHandler* handler) = 0;
  // A timer that has not fired yet will not; cancelling a fired or unknown id does nothing.
  virtual void CancelTimer(TimerId id) = 0;

  // Waits up to `timeout` (less when a timer is due sooner) for events, dispatches them, runs
  // due timers and pushes pending sends. An error means the loop itself failed (not one
  // connection): the owner must stop using the engine and report it.
  virtual absl::Status Poll(absl::Duration timeout) = 0;

  // Ends a Poll that is waiting now, or makes the next one return at once. The only call that is
  // safe from any thread (an eventfd write, or a posted completion packet on Windows): how a stop
  // or a sample request reaches an idle worker without waiting out its poll timeout. Wakes that
  // arrive together may end only one Poll.
  virtual void Wake() = 0;

  virtual size_t open_connections() const = 0;

  // Sends handed to the kernel whose completion has not been seen yet, closed connections'
  // included (a completion engine; a readiness engine's send() returns at once: 0). Polling until
  // this is 0 after the last close counts what the kernel took of them.
  virtual size_t sends_outstanding() const { return 0; }

  // Bytes of the connection's current Send() the kernel has taken so far (0 when none is in
  // progress, or on an engine whose sends complete whole). With the OnSendDone total, the exact
  // stream offset bytes_sent has counted up to, for attributing delivery to a window.
  virtual uint64_t send_progress(ConnId id) const { return 0; }

  // What this engine has counted since it was created: sends, receives, bytes, errors and
  // zero-copy notifications (see metrics/figures.h for each one's meaning). Plain numbers,
  // written only by the loop thread; the owner publishes them (ThreadStats::PublishEngine).
  const metrics::CounterValues& counters() const { return counters_; }

  // Wall time this engine's Polls spent finding nothing while spinning before a timer
  // (EngineOptions::timer_spin_ns): on a CPU by choice, not busy. The loop thread's only.
  uint64_t spun_ns() const { return spun_ns_; }

 protected:
  metrics::CounterValues counters_;
  uint64_t spun_ns_ = 0;
};

using EnginePtr = std::unique_ptr<Engine>;

}  // namespace salvo::net
