#include "net/epoll_engine.h"

#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "metrics/clock.h"
#include "metrics/thread_stats.h"
#include "status/status_macros.h"

namespace salvo::net {
namespace {

using metrics::Counter;
using metrics::Timing;

constexpr int kMaxEvents = 1024;

// The error pending on a socket that reported EPOLLERR or EPOLLHUP.
int PendingError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? ECONNRESET : err;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EpollEngine>> EpollEngine::Create(const EngineOptions& options) {
  if (options.send_mode == SendMode::kUringZc) {
    return absl::InvalidArgumentError("the epoll engine cannot send with uring-zc");
  }
  Fd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");
  auto engine = std::unique_ptr<EpollEngine>(new EpollEngine(std::move(fd), options));
  engine->wake_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!engine->wake_.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = ConnTag{kWake, 0, 0, 0}.Encode();
  if (::epoll_ctl(engine->epoll_.get(), EPOLL_CTL_ADD, engine->wake_.get(), &ev) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl(eventfd)");
  }
  return engine;
}

EpollEngine::EpollEngine(Fd epoll_fd, const EngineOptions& options)
    : EngineBase(options),
      epoll_(std::move(epoll_fd)),
      options_(options),
      socket_options_{options.sndbuf, options.rcvbuf, options.send_mode == SendMode::kZeroCopy},
      events_(kMaxEvents),
      recv_buffer_(options.recv_chunk_bytes) {}

EpollEngine::~EpollEngine() {
  for (Conn& c : conns_.slots()) {
    if (c.fd >= 0) ::close(c.fd);
  }
}

void EpollEngine::Release(ConnId id) {
  Conn& c = conns_[id];
  if (c.fd < 0) return;
  // Closing removes the fd from the epoll set; the generation bump makes any event for it that
  // is already in this Poll's batch stale.
  ::close(c.fd);
  conns_.Free(id);
}

bool EpollEngine::SetInterest(ConnId id, uint32_t events) {
  Conn& c = conns_[id];
  if (c.registered && c.interest == events) return true;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Tag(id, c.generation);
  if (::epoll_ctl(epoll_.get(), c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    const int err = errno;
    absl::Status why = absl::ErrnoToStatus(
        err, err == ENOSPC ? "epoll_ctl (fs.epoll.max_user_watches reached)" : "epoll_ctl");
    unwatched_.push_back(Unwatched{id, ConnTag::Tagged(c.generation), std::move(why)});
    return false;
  }
  c.interest = events;
  c.registered = true;
  return true;
}

void EpollEngine::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof(one));
}

void EpollEngine::FailUnwatched() {
  while (!unwatched_.empty()) {
    Unwatched u = std::move(unwatched_.back());
    unwatched_.pop_back();
    if (Alive(u.id, u.generation)) {
      Fail(u.id, std::move(u.why));
    }
  }
}

void EpollEngine::Enqueue(ConnId id) { write_queue_.Add(id, conns_[id]); }

absl::StatusOr<ConnId> EpollEngine::ConnectFrom(const SocketAddress& to, const SocketAddress* from,
                                                ConnectionHandler* handler) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewClientSocket(to, from, socket_options_));
  if (::connect(fd.get(), to.get(), to.length) != 0 && errno != EINPROGRESS) {
    return ConnectError(errno, &to);
  }
  const ConnId id = conns_.Allocate(fd.Release(), handler);
  conns_[id].connecting = true;
  // Only writability (connect finished) is watched until the handshake is done.
  if (!SetInterest(id, EPOLLOUT)) {
    absl::Status why = std::move(unwatched_.back().why);  // failed here and now instead
    unwatched_.pop_back();
    Release(id);
    return why;
  }
  return id;
}

absl::Status EpollEngine::Listen(Fd listener, AcceptHandler* handler) {
  const size_t index = listeners_.size();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = ConnTag{kListener, 0, 0, static_cast<ConnId>(index)}.Encode();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener.get(), &ev) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl(listener)");
  }
  listeners_.push_back(Listener{std::move(listener), handler});
  return absl::OkStatus();
}

void EpollEngine::Send(ConnId id, const uint8_t* data, size_t len) {
  conns_[id].BeginSend(data, len);
  Enqueue(id);
}

void EpollEngine::SetReceiving(ConnId id, bool on) {
  Conn& c = conns_[id];
  c.receiving = on;
  // Re-arming is eager, disarming lazy (in HandleEvent): the common case, a send that completes
  // in the same Poll, then costs no epoll_ctl at all.
  if (on && !c.connecting && !(c.interest & EPOLLIN)) SetInterest(id, c.interest | EPOLLIN);
}

void EpollEngine::ShutdownWrite(ConnId id) { conns_[id].ShutdownWrite(); }

void EpollEngine::Close(ConnId id) { Release(id); }

void EpollEngine::Fail(ConnId id, absl::Status why) {
  ConnectionHandler* handler = conns_[id].handler;
  Release(id);
  handler->OnClosed(id, std::move(why));
}

absl::Status EpollEngine::Poll(absl::Duration timeout) {
  if (!write_queue_.empty()) timeout = absl::ZeroDuration();
  const uint64_t began = metrics::MonoNanos();
  const bool spinning = write_queue_.empty() && timers_.Spinning(began);
  timeout = timers_.Bound(timeout, began);
  // epoll_pwait2 takes nanoseconds, so a timer is not rounded up to the next millisecond.
  timespec ts{};
  const timespec* wait = nullptr;
  if (timeout != absl::InfiniteDuration()) {
    ts = absl::ToTimespec(std::max(timeout, absl::ZeroDuration()));
    wait = &ts;
  }
  int n = -1;
  if (have_pwait2_) {
    n = ::epoll_pwait2(epoll_.get(), events_.data(), kMaxEvents, wait, nullptr);
    if (n < 0 && (errno == ENOSYS || errno == EPERM)) have_pwait2_ = false;  // before Linux 5.11
  }
  if (!have_pwait2_) {
    const int ms = wait == nullptr ? -1
                                   : static_cast<int>(absl::ToInt64Milliseconds(
                                         absl::Ceil(timeout, absl::Milliseconds(1))));
    n = ::epoll_wait(epoll_.get(), events_.data(), kMaxEvents, ms);
  }
  if (n < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "epoll_wait");
  if (spinning && n <= 0) spun_ns_ += metrics::MonoNanos() - began;
  for (int i = 0; i < n; ++i) {
    const ConnTag tag = ConnTag::Decode(events_[i].data.u64);
    if (tag.op == kWake) {
      uint64_t wakes;
      [[maybe_unused]] ssize_t r = ::read(wake_.get(), &wakes, sizeof(wakes));
      continue;
    }
    if (tag.op == kListener) {
      AcceptAll(listeners_[tag.id]);
      continue;
    }
    if (!Alive(tag.id, tag.generation)) continue;  // released earlier in this batch
    HandleEvent(tag.id, events_[i].events);
  }
  FailUnwatched();
  timers_.RunDue(metrics::MonoNanos());
  FlushWrites();
  return absl::OkStatus();
}

void EpollEngine::HandleEvent(ConnId id, uint32_t events) {
  if (conns_[id].connecting) {
    HandleConnect(id, events);
    return;
  }
  const uint32_t generation = ConnTag::Tagged(conns_[id].generation);
  if ((events & EPOLLERR) && socket_options_.zerocopy) {
    // Most EPOLLERRs of a zero-copy socket are completions, not errors.
    if (!DrainErrorQueue(id)) return;
    events &= ~EPOLLERR;
    if (!Alive(id, generation)) return;
  }
  Conn& c = conns_[id];
  if (events & EPOLLOUT) {
    if (c.sending) Enqueue(id);
    // Writability is watched only while a send waits for room.
    SetInterest(id, c.interest & ~EPOLLOUT);
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    if (c.receiving) {
      HandleRecv(id);
    } else if (events & (EPOLLERR | EPOLLHUP)) {
      // A connection that only sends (stream-out) learns of its end here: counted as the send
      // it ended.
      const int err = PendingError(c.fd);
      CountLoss(Counter::kSendErrors, err);
      Fail(id, absl::ErrnoToStatus(err, "socket"));
    } else {
      SetInterest(id, c.interest & ~EPOLLIN);
    }
  }
}

void EpollEngine::HandleConnect(ConnId id, uint32_t events) {
  Conn& c = conns_[id];
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == 0 && (events & (EPOLLERR | EPOLLHUP))) err = ECONNREFUSED;
  if (err != 0) {
    ConnectionHandler* handler = c.handler;
    Release(id);
    handler->OnConnected(id, ConnectError(err, nullptr));
    return;
  }
  c.connecting = false;
  // Connected: now, and only now, arm the receive.
  SetInterest(id, c.receiving ? static_cast<uint32_t>(EPOLLIN) : 0u);
  c.handler->OnConnected(id, absl::OkStatus());
}

void EpollEngine::HandleRecv(ConnId id) {
  Conn& c = conns_[id];
  const ssize_t n = ::recv(c.fd, recv_buffer_.data(), recv_buffer_.size(), MSG_DONTWAIT);
  if (n > 0) {
    Count(Counter::kRecvCalls);
    Count(Counter::kBytesReceived, static_cast<uint64_t>(n));
    c.handler->OnRecv(id, recv_buffer_.data(), static_cast<size_t>(n));
    return;
  }
  if (n == 0) {
    Count(Counter::kClosedByPeer);
    Fail(id, absl::OkStatus());
    return;
  }
  if (errno == EAGAIN || errno == EINTR) {
    Count(Counter::kRecvWouldBlock);
    return;
  }
  const int err = errno;
  CountLoss(Counter::kRecvErrors, err);
  Fail(id, absl::ErrnoToStatus(err, "recv"));
}

bool EpollEngine::DrainErrorQueue(ConnId id) {
  const uint64_t now = metrics::MonoNanos();
  for (;;) {
    Conn& c = conns_[id];
    alignas(cmsghdr) char control[256];
    msghdr msg{};
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    if (::recvmsg(c.fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;  // EAGAIN: drained
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
      const bool is_err = (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
                          (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR);
      if (!is_err) continue;
      const auto* err = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(cm));
      if (err->ee_errno != 0 || err->ee_origin != SO_EE_ORIGIN_ZEROCOPY) {
        const int code = err->ee_errno != 0 ? static_cast<int>(err->ee_errno) : EIO;
        CountLoss(Counter::kSendErrors, code);
        Fail(id, absl::ErrnoToStatus(code, "socket error queue"));
        return false;
      }
      // Completions cover the inclusive range [ee_info, ee_data] of send numbers.
      const uint32_t lo = err->ee_info, hi = err->ee_data;
      const uint32_t count = hi - lo + 1;
      c.zc_completed += count;
      Count(Counter::kZcSends, count);
      if (err->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) Count(Counter::kZcCopied, count);
      for (uint32_t seq = lo; seq != hi + 1; ++seq) {
        if (c.zc_issued - seq <= kZcTimed) {
          Time(Timing::kZcCompletion, now - c.zc_sent_at[seq % kZcTimed]);
        }
      }
    }
  }
  Conn& c = conns_[id];
  if (c.zc_waiting) {
    c.zc_waiting = false;
    Enqueue(id);
  }
  // All bytes out and every zero-copy send completed: the buffer is the handler's again.
  if (c.sending && c.send_off == c.send_len && c.zc_completed == c.zc_issued)
    conns_[id].FinishSend(id);
  return true;
}

void EpollEngine::AcceptAll(Listener& listener) {
  // Bounded so a connect storm cannot hold the loop away from established connections.
  for (int i = 0; i < 64; ++i) {
    const int fd = ::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
      if (errno == EMFILE || errno == ENFILE) {
        // Level-triggered: the listener stays readable while a connection waits, so each turn
        // refuses one and the loop serves its established connections in between.
        RefuseOneAccept(listener.fd.get());
      } else {
        Count(Counter::kConnectErrors);
      }
      return;
    }
    (void)ApplySocketOptions(fd, socket_options_);
    Count(Counter::kConnectionsEstablished);
    const ConnId id = conns_.Allocate(fd, nullptr);
    ConnectionHandler* handler = listener.handler->OnAccept(id);
    if (handler == nullptr) {
      Release(id);
      continue;
    }
    conns_[id].handler = handler;
    SetInterest(id, conns_[id].receiving ? static_cast<uint32_t>(EPOLLIN) : 0u);
  }
}

void EpollEngine::FlushWrites() {
  write_queue_.Flush(conns_, [this](ConnId id) { FlushOne(id); });
}

void EpollEngine::FlushOne(ConnId id) {
  const bool zerocopy = socket_options_.zerocopy;
  const int flags = zerocopy ? MSG_ZEROCOPY : 0;
  size_t budget = options_.send_budget_bytes;
  uint32_t calls = options_.send_budget_calls;
  const uint32_t generation = ConnTag::Tagged(conns_[id].generation);
  while (Alive(id, generation) && conns_[id].sending) {
    Conn& c = conns_[id];
    if (c.send_off == c.send_len) return;  // waiting for zero-copy completions
    if (zerocopy && c.zc_issued - c.zc_completed >= kZcTimed) {
      c.zc_waiting = true;  // let completions catch up
      return;
    }
    uint64_t started = 0;
    const ssize_t n = SendNow(c, flags, &started);
    if (n < 0) {
      const int err = static_cast<int>(-n);
      if (err == EAGAIN || err == EINTR) {
        Count(Counter::kSendWouldBlock);
        SetInterest(id, c.interest | EPOLLOUT);
        return;
      }
      if (err == ENOBUFS && zerocopy) {
        // optmem is full of pending notifications: wait for one, or retry on the next Poll
        // when none is pending.
        Count(Counter::kSendNoBufs);
        if (c.zc_issued != c.zc_completed) {
          c.zc_waiting = true;
        } else {
          Enqueue(id);
        }
        return;
      }
      CountLoss(Counter::kSendErrors, err);
      Fail(id, absl::ErrnoToStatus(err, "send"));
      return;
    }
    if (zerocopy) c.zc_sent_at[c.zc_issued++ % kZcTimed] = started;
    budget -= std::min(budget, static_cast<size_t>(n));
    if (--calls == 0) budget = 0;
    if (c.send_off < c.send_len) {
      if (budget == 0) break;
      continue;
    }
    if (zerocopy && c.zc_completed != c.zc_issued) return;  // DrainErrorQueue finishes it
    conns_[id].FinishSend(id);
    if (budget == 0) break;
  }
  if (Alive(id, generation)) {
    Conn& c = conns_[id];
    if (c.sending && c.send_off < c.send_len && !(c.interest & EPOLLOUT)) Enqueue(id);
  }
}

}  // namespace salvo::net
