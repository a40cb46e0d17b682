#include "net/io_uring_engine.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "metrics/clock.h"
#include "metrics/thread_stats.h"
#include "status/status_macros.h"

// liburing 2.3's header predates these; the kernel (6.0+) has them.
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

namespace salvo::net {
namespace {

using metrics::Counter;
using metrics::Timing;

constexpr uint16_t kBufferGroup = 0;
// Receives a paused connection may hold before its multishot receive is cancelled.
constexpr size_t kMaxHeld = 4;
// The fewest buffers the ring holds, and how many loop turns a smaller need must last before
// the ring holds fewer.
constexpr unsigned kMinWindow = 4;
constexpr unsigned kWindowTurns = 256;
constexpr size_t kBuffersPerConnection = 4;
constexpr unsigned kBatch = 1024;
// Copy sends up to this size are made with send() from the loop; larger ones through the ring.
constexpr size_t kDirectSendMaxBytes = 16 * 1024;

absl::Status UringError(int negative_errno, absl::string_view what) {
  return absl::ErrnoToStatus(-negative_errno, what);
}

}  // namespace

IoUringEngine::IoUringEngine(const EngineOptions& options)
    : EngineBase(options),
      options_(options),
      socket_options_{options.sndbuf, options.rcvbuf, /*zerocopy=*/false},
      sizes_(SizesFor(options.expected_connections)) {}

absl::Status IoUringEngine::Probe() {
  EngineOptions options;
  options.recv_chunk_bytes = 4096;
  IoUringEngine probe(options);
  return probe.Init();
}

absl::StatusOr<std::unique_ptr<IoUringEngine>> IoUringEngine::Create(const EngineOptions& options) {
  if (options.send_mode == SendMode::kZeroCopy) {
    return absl::InvalidArgumentError(
        "the io_uring engine sends zero-copy with uring-zc, not MSG_ZEROCOPY");
  }
  std::unique_ptr<IoUringEngine> engine(new IoUringEngine(options));
  SALVO_RETURN_IF_ERROR(engine->Init());
  return engine;
}

IoUringEngine::Sizes IoUringEngine::SizesFor(uint32_t connections) {
  // Scaled to the connections a worker owns, so that a run of many threads with few connections
  // each does not pay for rings and buffers it cannot use; a listener (connections unknown)
  // gets the most. Powers of two, as the rings require.
  const auto fit = [](uint64_t want, unsigned low, unsigned high) {
    unsigned n = low;
    while (n < want && n < high) n *= 2;
    return n;
  };
  const uint64_t c = connections == 0 ? uint64_t{1} << 20 : connections;
  Sizes s;
  s.sq_entries = fit(4 * c, 64, 4096);
  // Multishot receives and zero-copy notifications post more completions than submissions.
  s.cq_entries = 4 * s.sq_entries;
  s.buffers = fit(2 * c, 16, 256);
  return s;
}

absl::Status IoUringEngine::Init() {
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
                 IORING_SETUP_DEFER_TASKRUN;
  params.cq_entries = sizes_.cq_entries;
  int rc = io_uring_queue_init_params(sizes_.sq_entries, &ring_, &params);
  if (rc == -EINVAL) {
    // Kernels before 6.1 lack SINGLE_ISSUER and DEFER_TASKRUN; the ring works without them.
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = sizes_.cq_entries;
    rc = io_uring_queue_init_params(sizes_.sq_entries, &ring_, &params);
  }
  if (rc < 0) {
    return UringError(rc,
                      "io_uring_setup (no io_uring in this kernel, or it is disabled by "
                      "kernel.io_uring_disabled or a seccomp policy)");
  }
  ring_ready_ = true;

  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (probe == nullptr) return absl::UnavailableError("io_uring: cannot probe opcodes");
  const bool has_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
  const bool has_recv = io_uring_opcode_supported(probe, IORING_OP_RECV);
  io_uring_free_probe(probe);
  if (!has_recv) return absl::UnavailableError("io_uring: this kernel has no IORING_OP_RECV");
  if (options_.send_mode == SendMode::kUringZc) {
    if (!has_zc) return absl::UnavailableError("io_uring: this kernel has no SEND_ZC");
    zc_flags_ = IORING_SEND_ZC_REPORT_USAGE;
  }

  // Every buffer is a whole receive chunk, however many there are: only the pages the kernel
  // writes are ever touched (the buffer window keeps reusing the same few), so a buffer that only
  // ever receives 64 B messages costs one page, and a bulk stream gets whole chunks per receive.
  buffer_size_ = options_.recv_chunk_bytes;
  SALVO_ASSIGN_OR_RETURN(buffers_, MappedMemory::Map(sizes_.buffers * buffer_size_));
  buf_ring_bytes_ = sizes_.buffers * sizeof(io_uring_buf);
  void* mem =
      ::mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap(buffer ring)");
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
  reg.ring_entries = sizes_.buffers;
  reg.bgid = kBufferGroup;
  rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc < 0) return UringError(rc, "io_uring: registering the provided-buffer ring");
  io_uring_buf_ring_init(buf_ring_);
  free_.reserve(sizes_.buffers);
  // Buffer 0 on top: the first used.
  for (unsigned i = sizes_.buffers; i > 0; --i) free_.push_back(static_cast<uint16_t>(i - 1));
  window_ = std::min(sizes_.buffers, kMinWindow);
  low_water_ = window_;
  TopUpBuffers();
  batch_.reserve(std::min(sizes_.cq_entries, kBatch));
  wake_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  ArmWake();
  return absl::OkStatus();
}

void IoUringEngine::ArmWake() {
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_poll_multishot(sqe, wake_.get(), POLLIN);
  io_uring_sqe_set_data64(sqe, Tag(kWake, 0, 0));
}

// Only the eventfd is touched: the ring belongs to its loop thread (SINGLE_ISSUER).
void IoUringEngine::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof(one));
}

IoUringEngine::~IoUringEngine() {
  for (Conn& c : conns_.slots()) {
    if (c.fd >= 0) ::close(c.fd);
  }
  listeners_.clear();
  // Exiting the ring cancels what is still in flight before the buffers below go away.
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (buf_ring_ != nullptr) ::munmap(buf_ring_, buf_ring_bytes_);
}

io_uring_sqe* IoUringEngine::Sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  for (int attempt = 0; sqe == nullptr && attempt < 64; ++attempt) {
    // The submission queue is full: hand it to the kernel. SUBMIT_ALL makes the kernel take
    // every entry or fail; EBUSY (completions overflowing) clears once they are reaped, which
    // the next Poll does, so retrying here is bounded.
    const int rc = io_uring_submit(&ring_);
    if (rc < 0 && rc != -EBUSY && rc != -EINTR && rc != -EAGAIN) break;
    sqe = io_uring_get_sqe(&ring_);
  }
  if (sqe == nullptr) {
    std::fprintf(stderr, "salvo: io_uring submission queue stuck full; aborting\n");
    std::abort();
  }
  return sqe;
}

void IoUringEngine::Release(ConnId id) {
  Conn& c = conns_[id];
  if (c.fd < 0) return;
  // Requests already prepared for this fd must reach the kernel before the number can be
  // reused by another socket.
  io_uring_submit(&ring_);
  // Shutting down completes the armed receive and any send; their late completions are stale
  // by generation and only hand their buffers back. (The ring holds the file until they do, so
  // close() alone would not end the connection.) A reset shuts the receive side only: a FIN
  // sent first would let the peer's FIN answer it, and the connection end in TIME_WAIT.
  ::shutdown(c.fd, c.resetting ? SHUT_RD : SHUT_RDWR);
  ::close(c.fd);
  for (const Held& h : c.held) ReturnBuffer(h.bid);
  c.held.clear();
  conns_.Free(id);
}

void IoUringEngine::Reset(ConnId id) {
  if (conns_.FdOf(id).ok()) conns_[id].resetting = true;
  EngineBase::Reset(id);
}

void IoUringEngine::Fail(ConnId id, absl::Status why) {
  ConnectionHandler* handler = conns_[id].handler;
  Release(id);
  handler->OnClosed(id, std::move(why));
}

void IoUringEngine::ReturnBuffer(uint16_t bid) { free_.push_back(bid); }

void IoUringEngine::TopUpBuffers() {
  low_water_ = std::min(low_water_, posted_);
  // Every open connection may have data in the same turn, and each must get its share of
  // buffers in it: the kernel's multishot receive takes several for one connection in a row.
  const unsigned floor = static_cast<unsigned>(std::min<size_t>(
      sizes_.buffers, std::max<size_t>(kMinWindow, kBuffersPerConnection * conns_.open())));
  if (++turns_ == kWindowTurns) {
    if (low_water_ > window_ / 2) window_ /= 2;
    turns_ = 0;
    low_water_ = window_;
  }
  window_ = std::max(window_, floor);
  const int mask = io_uring_buf_ring_mask(sizes_.buffers);
  int added = 0;
  while (posted_ < window_ && !free_.empty()) {
    const uint16_t bid = free_.back();
    free_.pop_back();
    io_uring_buf_ring_add(buf_ring_, buffers_.data() + static_cast<size_t>(bid) * buffer_size_,
                          static_cast<unsigned>(buffer_size_), bid, mask, added++);
    ++posted_;
  }
  if (added > 0) io_uring_buf_ring_advance(buf_ring_, added);
}

void IoUringEngine::ArmRecv(ConnId id) {
  Conn& c = conns_[id];
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, Tag(kRecv, id, c.generation));
  c.recv_armed = true;
  c.cancel_sent = false;
}

void IoUringEngine::ArmAccept(size_t index) {
  Listener& l = listeners_[index];
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_multishot_accept(sqe, l.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, Tag(kAccept, static_cast<ConnId>(index), 0));
  l.armed = true;
}

absl::StatusOr<ConnId> IoUringEngine::ConnectFrom(const SocketAddress& to,
                                                  const SocketAddress* from,
                                                  ConnectionHandler* handler) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewClientSocket(to, from, socket_options_));
  const ConnId id = conns_.Allocate(fd.Release(), handler);
  Conn& c = conns_[id];
  c.peer = std::make_unique<SocketAddress>(to);
  c.connecting = true;
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_connect(sqe, c.fd, c.peer->get(), c.peer->length);
  io_uring_sqe_set_data64(sqe, Tag(kConnect, id, c.generation));
  return id;
}

absl::Status IoUringEngine::Listen(Fd listener, AcceptHandler* handler) {
  listeners_.push_back(Listener{std::move(listener), handler});
  ArmAccept(listeners_.size() - 1);
  return absl::OkStatus();
}

void IoUringEngine::Send(ConnId id, const uint8_t* data, size_t len) {
  conns_[id].BeginSend(data, len);
  if (options_.send_mode == SendMode::kUringZc || len > kDirectSendMaxBytes) {
    SubmitSend(id);
  } else {
    // Measured: a 64 B send through the ring cost more than the send() it saves (0.88x the epoll
    // engine's messages/s with one send per message), so small copy sends are made directly.
    // Large ones stay on the ring: a bulk stream keeps its socket full, and a send() that finds
    // it full is a wasted call before the ring's send anyway (0.78x iperf3 against 1.10x).
    write_queue_.Add(id, conns_[id]);
  }
}

void IoUringEngine::FlushSends() {
  write_queue_.Flush(conns_, [this](ConnId id) { FlushOne(id); });
}

void IoUringEngine::FlushOne(ConnId id) {
  size_t budget = options_.send_budget_bytes;
  uint32_t calls = options_.send_budget_calls;
  const uint32_t generation = ConnTag::Tagged(conns_[id].generation);
  while (Alive(id, generation) && conns_[id].sending && !conns_[id].send_in_flight) {
    Conn& c = conns_[id];
    const ssize_t n = SendNow(c, 0);
    if (n < 0) {
      if (n == -EAGAIN || n == -EINTR) {
        // The socket is full: the ring sends the rest once there is room.
        Count(Counter::kSendWouldBlock);
        SubmitSend(id);
        return;
      }
      CountLoss(Counter::kSendErrors, static_cast<int>(-n));
      Fail(id, absl::ErrnoToStatus(static_cast<int>(-n), "send"));
      return;
    }
    budget -= std::min(budget, static_cast<size_t>(n));
    if (--calls == 0) budget = 0;
    if (c.send_off < c.send_len) {
      if (budget == 0) break;
      continue;
    }
    c.FinishSend(id);
    if (budget == 0) break;
  }
  // Out of budget with more to send: the next turn goes on.
  if (Alive(id, generation) && conns_[id].sending && !conns_[id].send_in_flight) {
    write_queue_.Add(id, conns_[id]);
  }
}

void IoUringEngine::SubmitSend(ConnId id) {
  Conn& c = conns_[id];
  const bool zc = options_.send_mode == SendMode::kUringZc;
  if (zc && c.zc_pending >= kSendSlots - 1) {
    c.zc_waiting = true;  // the start-time slots are all taken: wait for notifications
    return;
  }
  const uint32_t slot = c.sends_submitted++ % kSendSlots;
  c.started[slot] = metrics::MonoNanos();
  io_uring_sqe* sqe = Sqe();
  if (zc) {
    io_uring_prep_send_zc(sqe, c.fd, c.send_data + c.send_off, c.send_len - c.send_off,
                          MSG_NOSIGNAL, zc_flags_);
    io_uring_sqe_set_data64(sqe, Tag(kSendZc, id, c.generation, slot));
  } else {
    io_uring_prep_send(sqe, c.fd, c.send_data + c.send_off, c.send_len - c.send_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, Tag(kSend, id, c.generation, slot));
  }
  c.send_in_flight = true;
  c.zc_waiting = false;
  ++sends_outstanding_;
}

void IoUringEngine::SetReceiving(ConnId id, bool on) {
  Conn& c = conns_[id];
  if (c.receiving == on) return;
  c.receiving = on;
  // Held data is delivered and the receive re-armed after this batch, never from inside the
  // handler call that resumed it.
  if (on) resume_.push_back(id);
}

void IoUringEngine::ShutdownWrite(ConnId id) { conns_[id].ShutdownWrite(); }

void IoUringEngine::Close(ConnId id) { Release(id); }

absl::Status IoUringEngine::Poll(absl::Duration timeout) {
  if (!write_queue_.empty()) timeout = absl::ZeroDuration();
  const uint64_t began = metrics::MonoNanos();
  const bool spinning = write_queue_.empty() && timers_.Spinning(began);
  timeout = timers_.Bound(timeout, began);
  __kernel_timespec ts{};
  if (timeout > absl::ZeroDuration() && timeout != absl::InfiniteDuration()) {
    ts.tv_sec = absl::ToInt64Seconds(timeout);
    ts.tv_nsec = absl::ToInt64Nanoseconds(timeout - absl::Seconds(ts.tv_sec));
  }
  io_uring_cqe* first = nullptr;
  const int rc = io_uring_submit_and_wait_timeout(
      &ring_, &first, 1, timeout == absl::InfiniteDuration() ? nullptr : &ts, nullptr);
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
    return UringError(rc, "io_uring_submit_and_wait");
  }
  if (spinning && io_uring_cq_ready(&ring_) == 0) spun_ns_ += metrics::MonoNanos() - began;
  // Completions are copied out first so that handlers may queue new requests freely, a bounded
  // batch at a time (a batch as large as the completion queue would cost 16 B per entry).
  for (unsigned taken = 0; taken < sizes_.cq_entries;) {
    batch_.clear();
    unsigned head;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      batch_.push_back(*cqe);
      if (batch_.size() == batch_.capacity()) break;
    }
    if (batch_.empty()) break;
    io_uring_cq_advance(&ring_, static_cast<unsigned>(batch_.size()));
    taken += static_cast<unsigned>(batch_.size());
    for (const io_uring_cqe& c : batch_) HandleCqe(c);
  }
  timers_.RunDue(metrics::MonoNanos());
  FlushSends();
  AfterCompletions();
  return absl::OkStatus();
}

void IoUringEngine::HandleCqe(const io_uring_cqe& cqe) {
  const ConnTag tag = ConnTag::Decode(cqe.user_data);
  const Op op = static_cast<Op>(tag.op);
  const ConnId id = tag.id;
  const uint32_t generation = tag.generation;
  if (op == kAccept) {
    HandleAccept(id, cqe);
    return;
  }
  if (op == kAcceptPoll) {
    // A connection is waiting: try accepting again (the loop re-arms unarmed listeners).
    listeners_[id].armed = false;
    return;
  }
  if (op == kCancel) return;
  if (op == kWake) {
    uint64_t wakes;
    [[maybe_unused]] ssize_t r = ::read(wake_.get(), &wakes, sizeof(wakes));
    if (!(cqe.flags & IORING_CQE_F_MORE)) ArmWake();
    return;
  }
  Consumed(cqe);
  // A zero-copy send completes twice: its result, then the notification that frees the buffer.
  if ((op == kSend || op == kSendZc) && !(cqe.flags & IORING_CQE_F_NOTIF)) --sends_outstanding_;
  if (!Alive(id, generation)) {
    // A completion for a connection already released. A send's bytes were taken by the kernel
    // before the close, and count as sent like any other (bytes_sent is what the kernel took).
    if ((op == kSend || op == kSendZc) && cqe.res > 0 && !(cqe.flags & IORING_CQE_F_NOTIF)) {
      Count(Counter::kSendCalls);
      Count(Counter::kBytesSent, static_cast<uint64_t>(cqe.res));
    }
    // Otherwise only a receive's buffer matters.
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      ReturnBuffer(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    }
    return;
  }
  switch (op) {
    case kConnect: {
      Conn& c = conns_[id];
      if (cqe.res < 0) {
        ConnectionHandler* handler = c.handler;
        absl::Status why = ConnectError(-cqe.res, c.peer.get());
        Release(id);
        handler->OnConnected(id, std::move(why));
        return;
      }
      c.connecting = false;
      c.peer.reset();
      // Connected: now, and only now, arm the receive.
      if (c.receiving) ArmRecv(id);
      c.handler->OnConnected(id, absl::OkStatus());
      return;
    }
    case kRecv:
      HandleRecv(id, cqe);
      return;
    case kSend:
    case kSendZc:
      HandleSend(id, tag.slot, cqe, op == kSendZc);
      return;
    default:
      return;
  }
}

void IoUringEngine::Deliver(ConnId id, uint16_t bid, uint32_t len) {
  conns_[id].handler->OnRecv(id, buffers_.data() + static_cast<size_t>(bid) * buffer_size_, len);
  ReturnBuffer(bid);
}

void IoUringEngine::HandleRecv(ConnId id, const io_uring_cqe& cqe) {
  Conn& c = conns_[id];
  const uint32_t generation = ConnTag::Tagged(c.generation);
  if (!(cqe.flags & IORING_CQE_F_MORE)) c.recv_armed = false;
  if (cqe.res > 0) {
    const uint16_t bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    const uint32_t len = static_cast<uint32_t>(cqe.res);
    Count(Counter::kRecvCalls);
    Count(Counter::kBytesReceived, len);
    if (c.receiving && c.held.empty()) {
      Deliver(id, bid, len);
    } else {
      c.held.push_back(Held{bid, len});
      if (c.held.size() >= kMaxHeld && c.recv_armed && !c.cancel_sent) {
        // Paused too long: stop the receive so one connection cannot take every buffer.
        io_uring_sqe* sqe = Sqe();
        io_uring_prep_cancel64(sqe, Tag(kRecv, id, c.generation), 0);
        io_uring_sqe_set_data64(sqe, Tag(kCancel, id, c.generation));
        c.cancel_sent = true;
      }
    }
    if (Alive(id, generation) && !conns_[id].recv_armed) rearm_.push_back(id);
    return;
  }
  if (cqe.res == 0) {
    Count(Counter::kClosedByPeer);
    Fail(id, absl::OkStatus());
    return;
  }
  if (cqe.res == -ENOBUFS || cqe.res == -ECANCELED) {
    // The buffer ring ran dry (buffers come back during this batch) or a pause cancelled it.
    if (cqe.res == -ENOBUFS) {
      Count(Counter::kRecvNoBuffer);
      window_ = std::min(window_ * 2, sizes_.buffers);
    }
    rearm_.push_back(id);
    return;
  }
  CountLoss(Counter::kRecvErrors, -cqe.res);
  Fail(id, UringError(cqe.res, "recv"));
}

void IoUringEngine::HandleSend(ConnId id, uint32_t slot, const io_uring_cqe& cqe, bool zero_copy) {
  Conn& c = conns_[id];
  const uint64_t now = metrics::MonoNanos();
  if (zero_copy && (cqe.flags & IORING_CQE_F_NOTIF)) {
    --c.zc_pending;
    Count(Counter::kZcSends);
    if (static_cast<uint32_t>(cqe.res) & IORING_NOTIF_USAGE_ZC_COPIED) Count(Counter::kZcCopied);
    Time(Timing::kZcCompletion, now - c.started[slot]);
    if (c.sending && !c.send_in_flight) {
      if (c.send_off < c.send_len) {
        if (c.zc_waiting) SubmitSend(id);
      } else if (c.zc_pending == 0) {
        conns_[id].FinishSend(id);
      }
    }
    return;
  }
  c.send_in_flight = false;
  if (zero_copy && (cqe.flags & IORING_CQE_F_MORE)) ++c.zc_pending;
  Time(Timing::kSendCall, now - c.started[slot]);
  if (cqe.res < 0) {
    if (cqe.res == -EAGAIN || cqe.res == -EINTR) {
      Count(Counter::kSendWouldBlock);
      SubmitSend(id);
      return;
    }
    if (zero_copy && cqe.res == -EINVAL && zc_flags_ != 0) {
      // A kernel without usage reports: send on, without knowing what it copied.
      zc_flags_ = 0;
      SubmitSend(id);
      return;
    }
    CountLoss(Counter::kSendErrors, -cqe.res);
    Fail(id, UringError(cqe.res, "send"));
    return;
  }
  Count(Counter::kSendCalls);
  Count(Counter::kBytesSent, static_cast<uint64_t>(cqe.res));
  c.send_off += static_cast<size_t>(cqe.res);
  if (c.send_off < c.send_len) {
    SubmitSend(id);
  } else if (c.zc_pending == 0) {
    conns_[id].FinishSend(id);
  }
}

void IoUringEngine::HandleAccept(size_t index, const io_uring_cqe& cqe) {
  Listener& l = listeners_[index];
  if (!(cqe.flags & IORING_CQE_F_MORE)) l.armed = false;
  if (cqe.res < 0) {
    if (cqe.res != -EMFILE && cqe.res != -ENFILE) {
      Count(Counter::kConnectErrors);
      return;
    }
    // Out of descriptors. io_uring's accept fails on EMFILE before it looks at the queue, so
    // re-arming it at once would spin even with nobody waiting: refuse the waiting connection,
    // if any, and accept again only when the listener polls readable.
    RefuseOneAccept(l.fd.get());
    if (!l.armed) {
      io_uring_sqe* sqe = Sqe();
      io_uring_prep_poll_add(sqe, l.fd.get(), POLLIN);
      io_uring_sqe_set_data64(sqe, Tag(kAcceptPoll, static_cast<ConnId>(index), 0));
      l.armed = true;
    }
    return;
  }
  const int fd = cqe.res;
  (void)ApplySocketOptions(fd, socket_options_);
  Count(Counter::kConnectionsEstablished);
  const ConnId id = conns_.Allocate(fd, nullptr);
  ConnectionHandler* handler = l.handler->OnAccept(id);
  if (handler == nullptr) {
    Release(id);
    return;
  }
  if (Alive(id, ConnTag::Tagged(conns_[id].generation))) {
    conns_[id].handler = handler;
    if (conns_[id].receiving && !conns_[id].recv_armed) ArmRecv(id);
  }
}

void IoUringEngine::AfterCompletions() {
  for (size_t i = 0; i < resume_.size(); ++i) {
    const ConnId id = resume_[i];
    if (id >= conns_.size() || conns_[id].fd < 0) continue;
    const uint32_t generation = ConnTag::Tagged(conns_[id].generation);
    // Deliver what arrived while paused, in order, until the handler pauses again. Each item
    // leaves the list before delivery, so a Close from the handler cannot return it twice.
    while (Alive(id, generation) && conns_[id].receiving && !conns_[id].held.empty()) {
      const Held h = conns_[id].held.front();
      conns_[id].held.erase(conns_[id].held.begin());
      Deliver(id, h.bid, h.len);
    }
    if (!Alive(id, generation)) continue;
    Conn& c = conns_[id];
    if (c.receiving && c.held.empty() && !c.recv_armed) ArmRecv(id);
  }
  resume_.clear();
  for (ConnId id : rearm_) {
    if (id >= conns_.size() || conns_[id].fd < 0) continue;
    Conn& c = conns_[id];
    if (c.receiving && c.held.empty() && !c.recv_armed && !c.connecting) ArmRecv(id);
  }
  rearm_.clear();
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (!listeners_[i].armed) ArmAccept(i);
  }
  TopUpBuffers();
}

}  // namespace salvo::net
