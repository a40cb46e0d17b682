#include "net/engine_base.h"

#include <cerrno>

#include "metrics/clock.h"
#include "metrics/thread_stats.h"
#include "net/address.h"
#include "net/platform.h"
#include "net/socket.h"
#include "net/tcp_info.h"
#include "status/status_macros.h"

namespace salvo::net {

EngineBase::EngineBase(const EngineOptions& options)
    : timings_(options.timings), reserve_fd_(ReserveDescriptor()) {
  timers_.set_spin(options.timer_spin_ns);
}

void EngineBase::CountLoss(metrics::Counter call, int err) {
  Count(call);
  switch (PosixErrno(err)) {
    case ETIMEDOUT:
    // The retransmission timer's end when an ICMP error came meanwhile (tcp_write_err reports
    // the soft error instead of ETIMEDOUT): the path, not the peer.
    case EHOSTUNREACH:
    case ENETUNREACH:
      Count(metrics::Counter::kConnectionsTimedOut);
      break;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      Count(metrics::Counter::kPeerResets);
      break;
    default:
      break;
  }
}

#ifndef _WIN32
bool EngineBase::RefuseOneAccept(int listen_fd) {
  reserve_fd_.Reset();
  const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) {
    ::close(fd);
    Count(metrics::Counter::kAcceptsRefused);
  }
  reserve_fd_ = ReserveDescriptor();
  return fd >= 0;
}
#endif

void EngineBase::Reset(ConnId id) {
  if (absl::StatusOr<int> fd = FdOf(id); fd.ok()) {
    const linger l{1, 0};
    ::setsockopt(Native(*fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof(l));
  }
  Close(id);
}

absl::StatusOr<TcpInfo> EngineBase::ReadTcpInfo(ConnId id) const {
  SALVO_ASSIGN_OR_RETURN(const int fd, FdOf(id));
  return net::ReadTcpInfo(fd);
}

absl::StatusOr<uint16_t> EngineBase::LocalPort(ConnId id) const {
  SALVO_ASSIGN_OR_RETURN(const int fd, FdOf(id));
  SALVO_ASSIGN_OR_RETURN(const SocketAddress local, LocalAddress(fd));
  return local.port();
}

#ifndef _WIN32
ssize_t EngineBase::SendNow(ConnBase& c, int flags, uint64_t* started_ns) {
  const uint64_t started = metrics::MonoNanos();
  const ssize_t n = ::send(c.fd, c.send_data + c.send_off, c.send_len - c.send_off,
                           flags | MSG_DONTWAIT | MSG_NOSIGNAL);
  const int err = errno;
  Time(metrics::Timing::kSendCall, metrics::MonoNanos() - started);
  if (started_ns != nullptr) *started_ns = started;
  if (n < 0) return -err;
  Count(metrics::Counter::kSendCalls);
  Count(metrics::Counter::kBytesSent, static_cast<uint64_t>(n));
  c.send_off += static_cast<size_t>(n);
  return n;
}
#endif

void EngineBase::Time(metrics::Timing t, uint64_t ns) {
  if (timings_ != nullptr) timings_->Record(t, ns);
}

}  // namespace salvo::net
