// The readiness backend: one epoll instance, level-triggered, per engine.
//
// Fairness comes from level triggering plus a bounded amount of work per connection per Poll:
// one recv of at most recv_chunk_bytes, and at most send_budget_bytes of sends. The kernel puts a
// reported level-triggered fd back at the tail of its ready list, so with more ready connections
// than one epoll_wait returns, the next call continues with the rest.
//
// With SendMode::kZeroCopy every send is send(MSG_ZEROCOPY) on an SO_ZEROCOPY socket. The
// kernel numbers those sends per socket and reports their completion on the socket's error
// queue, as ranges and possibly out of order; epoll signals it as EPOLLERR, which is a
// notification when the queued error has ee_errno 0. A Send() is done only when all of its bytes
// are sent and every one of its zero-copy sends has completed, so its buffer is never reused
// early. ENOBUFS (the socket's optmem is full of pending notifications) backs off until a
// notification frees some.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <vector>

#include "net/conn_table.h"
#include "net/engine.h"
#include "net/engine_base.h"
#include "net/socket.h"

namespace salvo::net {

class EpollEngine final : public EngineBase {
 public:
  static absl::StatusOr<std::unique_ptr<EpollEngine>> Create(const EngineOptions& options);
  ~EpollEngine() override;

  absl::string_view name() const override { return "epoll"; }
  bool Supports(SendMode mode) const override { return mode != SendMode::kUringZc; }
  absl::StatusOr<ConnId> ConnectFrom(const SocketAddress& to, const SocketAddress* from,
                                     ConnectionHandler* handler) override;
  absl::Status Listen(Fd listener, AcceptHandler* handler) override;
  void Send(ConnId id, const uint8_t* data, size_t len) override;
  void SetReceiving(ConnId id, bool on) override;
  void ShutdownWrite(ConnId id) override;
  void Close(ConnId id) override;
  absl::Status Poll(absl::Duration timeout) override;
  void Wake() override;
  size_t open_connections() const override { return conns_.open(); }

 protected:
  absl::StatusOr<int> FdOf(ConnId id) const override { return conns_.FdOf(id); }
  uint64_t send_progress(ConnId id) const override {
    return conns_.FdOf(id).ok() && conns_[id].sending ? conns_[id].send_off : 0;
  }

 private:
  // Zero-copy sends a connection may have in flight with their start times recorded.
  static constexpr uint32_t kZcTimed = 64;

  struct Conn : ConnBase {
    uint32_t interest = 0;  // events registered with epoll
    bool registered = false;
    // MSG_ZEROCOPY bookkeeping: sends the kernel numbered, completions it reported.
    uint32_t zc_issued = 0;
    uint32_t zc_completed = 0;
    // Waiting for completions before sending more (ENOBUFS, or kZcTimed in flight).
    bool zc_waiting = false;
    std::array<uint64_t, kZcTimed> zc_sent_at{};
  };
  struct Listener {
    Fd fd;
    AcceptHandler* handler;
  };

  EpollEngine(Fd epoll_fd, const EngineOptions& options);
  void Release(ConnId id);
  // Watches `events` on the connection. epoll_ctl can fail (ENOSPC: fs.epoll.max_user_watches
  // reached; ENOMEM): the connection is then failed with that error at the end of the turn, never
  // left unwatched to look like a timeout. False then (the connect path fails the connect at
  // once with the queued error instead).
  bool SetInterest(ConnId id, uint32_t events);
  // Fails the connections SetInterest could not watch (from the loop, not from inside a handler).
  void FailUnwatched();
  void HandleEvent(ConnId id, uint32_t events);
  void HandleConnect(ConnId id, uint32_t events);
  void HandleRecv(ConnId id);
  // Reads zero-copy notifications; returns false if the connection failed instead.
  bool DrainErrorQueue(ConnId id);
  void AcceptAll(Listener& listener);
  void FlushOne(ConnId id);
  void FlushWrites();
  void Enqueue(ConnId id);
  void Fail(ConnId id, absl::Status why);
  // `generation` as a tag carries it (ConnTag::Tagged).
  bool Alive(ConnId id, uint32_t generation) const { return conns_.Current(id, generation); }
  // An event's data.u64 (net::ConnTag): a connection's, or a listener's by its index.
  enum TagOp : uint32_t { kConnection = 0, kListener = 1, kWake = 2 };
  static uint64_t Tag(ConnId id, uint32_t generation) {
    return ConnTag{kConnection, 0, generation, id}.Encode();
  }

  Fd epoll_;
  Fd wake_;  // an eventfd, readable after Wake()
  EngineOptions options_;
  SocketOptions socket_options_;
  ConnTable<Conn> conns_;
  std::vector<Listener> listeners_;
  WriteQueue write_queue_;
  struct Unwatched {
    ConnId id;
    uint32_t generation;  // tagged
    absl::Status why;
  };
  std::vector<Unwatched> unwatched_;
  std::vector<epoll_event> events_;
  std::vector<uint8_t> recv_buffer_;
  bool have_pwait2_ = true;
};

}  // namespace salvo::net
