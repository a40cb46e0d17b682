// The completion backend: one io_uring per engine (so per worker thread).
//
// - The ring is created SINGLE_ISSUER and DEFER_TASKRUN where the kernel has them (completion
//   work then runs only when this thread asks for completions), with a completion queue sized
//   for multishot receives and zero-copy notifications.
// - Receives are multishot, one per connection, drawing from a provided-buffer ring shared by
//   the engine's connections; a receive the kernel ends (the buffer ring ran dry, or ENOBUFS) is
//   re-armed after this Poll's buffers have been handed back.
// - Copy sends of up to 16 KiB are one send() each from the loop, as epoll makes them (measured
//   cheaper than a ring round trip for small messages; coalescing puts many messages in one);
//   only what finds the socket full goes to the ring, which waits for room. Larger sends and
//   SEND_ZC go through the ring, prepared as asked and submitted together by the next Poll's
//   io_uring_enter. One send per connection is in flight, which keeps the byte order; a short
//   send resubmits the rest.
// - SendMode::kUringZc uses SEND_ZC with IORING_SEND_ZC_REPORT_USAGE: each send completes twice,
//   first with its result (F_MORE), then with F_NOTIF when the kernel no longer needs the pages.
//   A Send() is done only after every notification of it has arrived.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "net/conn_table.h"
#include "net/engine.h"
#include "net/engine_base.h"
#include "net/mapped_memory.h"
#include "net/socket.h"

namespace salvo::net {

class IoUringEngine final : public EngineBase {
 public:
  // OK when rings with the features this engine uses can be created here.
  static absl::Status Probe();
  static absl::StatusOr<std::unique_ptr<IoUringEngine>> Create(const EngineOptions& options);

  // What one worker's ring holds for `connections` (0: unknown, as for a listener): the memory
  // an io_uring worker costs is about 64 B per SQ entry, 16 B per CQ entry and the buffers times
  // EngineOptions::recv_chunk_bytes (docs/architecture.md, "Memory").
  struct Sizes {
    unsigned sq_entries;
    unsigned cq_entries;
    unsigned buffers;  // provided receive buffers
  };
  static Sizes SizesFor(uint32_t connections);
  ~IoUringEngine() override;

  absl::string_view name() const override { return "io_uring"; }
  bool Supports(SendMode mode) const override { return mode != SendMode::kZeroCopy; }
  absl::StatusOr<ConnId> ConnectFrom(const SocketAddress& to, const SocketAddress* from,
                                     ConnectionHandler* handler) override;
  absl::Status Listen(Fd listener, AcceptHandler* handler) override;
  void Send(ConnId id, const uint8_t* data, size_t len) override;
  void SetReceiving(ConnId id, bool on) override;
  void ShutdownWrite(ConnId id) override;
  void Close(ConnId id) override;
  void Reset(ConnId id) override;
  absl::Status Poll(absl::Duration timeout) override;
  void Wake() override;
  size_t open_connections() const override { return conns_.open(); }
  size_t sends_outstanding() const override { return sends_outstanding_; }

 protected:
  absl::StatusOr<int> FdOf(ConnId id) const override { return conns_.FdOf(id); }
  uint64_t send_progress(ConnId id) const override {
    return conns_.FdOf(id).ok() && conns_[id].sending ? conns_[id].send_off : 0;
  }

 private:
  enum Op : uint8_t { kConnect = 1, kRecv, kSend, kSendZc, kAccept, kCancel, kAcceptPoll, kWake };
  // Sends of one connection that may be in flight or awaiting their notification; each has a
  // slot for its start time, carried in its tag.
  static constexpr uint32_t kSendSlots = 4;

  struct Held {
    uint16_t bid;
    uint32_t len;
  };
  struct Conn : ConnBase {
    // A connect's address must outlive the request; held only until it completes, as most of a
    // Conn's size would otherwise be an address used once.
    std::unique_ptr<SocketAddress> peer;
    uint64_t started[kSendSlots] = {};
    uint32_t sends_submitted = 0;
    uint32_t zc_pending = 0;  // notifications still to come
    bool zc_waiting = false;  // the rest of a send waits for notifications
    bool send_in_flight = false;
    bool recv_armed = false;
    bool cancel_sent = false;
    bool resetting = false;  // closed by Reset: no FIN may go out first
    // Receives that arrived while paused, delivered in order on resume.
    std::vector<Held> held;
  };
  struct Listener {
    Fd fd;
    AcceptHandler* handler;
    bool armed = false;
  };

  IoUringEngine(const EngineOptions& options);
  absl::Status Init();
  // A free submission entry; never null (the queue is flushed to make room, and a ring that
  // cannot take submissions any more is a broken invariant that aborts loudly).
  io_uring_sqe* Sqe();
  // A request's user_data (net::ConnTag).
  static uint64_t Tag(Op op, ConnId id, uint32_t generation, uint32_t slot = 0) {
    return ConnTag{op, slot, generation, id}.Encode();
  }
  void Release(ConnId id);
  void Fail(ConnId id, absl::Status why);
  // `generation` as a tag carries it (ConnTag::Tagged).
  bool Alive(ConnId id, uint32_t generation) const { return conns_.Current(id, generation); }
  void ArmRecv(ConnId id);
  // A multishot poll on wake_, re-armed when the kernel ends it.
  void ArmWake();
  void ArmAccept(size_t listener);
  void SubmitSend(ConnId id);
  // Small copy sends: send() from the loop, as epoll does, up to the send budget per connection
  // and turn; only what does not fit in the socket's buffer goes to the ring, which waits for
  // room. Larger sends go to the ring at once.
  void FlushSends();
  void FlushOne(ConnId id);
  void ReturnBuffer(uint16_t bid);
  // Puts the most recently returned buffers into the ring until it holds window_ of them.
  void TopUpBuffers();
  // Counts the buffer a completion consumed from the ring.
  void Consumed(const io_uring_cqe& cqe) {
    if ((cqe.flags & IORING_CQE_F_BUFFER) && posted_ > 0) --posted_;
  }
  void Deliver(ConnId id, uint16_t bid, uint32_t len);
  void HandleCqe(const io_uring_cqe& cqe);
  std::vector<io_uring_cqe> batch_;
  void HandleRecv(ConnId id, const io_uring_cqe& cqe);
  void HandleSend(ConnId id, uint32_t slot, const io_uring_cqe& cqe, bool zero_copy);
  void HandleAccept(size_t listener, const io_uring_cqe& cqe);
  void AfterCompletions();

  EngineOptions options_;
  SocketOptions socket_options_;
  const Sizes sizes_;
  io_uring ring_{};
  bool ring_ready_ = false;
  Fd wake_;  // an eventfd, written by Wake() from any thread
  unsigned zc_flags_ = 0;
  // Provided buffers: one ring of sizes_.buffers buffers of buffer_size_ bytes.
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  MappedMemory buffers_;
  size_t buffer_size_ = 0;
  // The kernel takes ring buffers first-in-first-out, so a ring holding every buffer would cycle
  // through all of them, each copy landing in memory that left the cache long ago. The ring holds
  // only window_ buffers instead; the others wait in free_, most recently used on top, and the
  // ring is topped up from there after each batch: the few buffers in use stay hot, and the ones
  // never needed are never touched (nor count in the RSS). window_ doubles when the ring runs dry
  // and halves after kWindowTurns turns in which at least half of it stayed unused.
  std::vector<uint16_t> free_;
  unsigned posted_ = 0;  // in the ring, as far as completions tell (never fewer than there are)
  unsigned window_ = 0;
  unsigned low_water_ = 0;  // the fewest posted buffers seen in this span of turns
  unsigned turns_ = 0;
  size_t sends_outstanding_ = 0;  // sends submitted whose result has not completed
  // A deque: a connect request points into its Conn until it is submitted, so Conns must not
  // move when more are added.
  ConnTable<Conn, std::deque<Conn>> conns_;
  std::vector<Listener> listeners_;
  WriteQueue write_queue_;      // copy sends to make in this turn
  std::vector<ConnId> rearm_;   // receives to re-arm after this batch
  std::vector<ConnId> resume_;  // connections resumed by SetReceiving(true)
};

}  // namespace salvo::net
