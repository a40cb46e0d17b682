#include "net/socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "status/status_macros.h"

namespace salvo::net {
namespace {

// Descriptors a process needs besides its connections: gRPC, epoll, eventfds, logs.
constexpr uint64_t kReservedFds = 64;

}  // namespace

std::string ErrnoText(int err) { return std::strerror(err); }

absl::Status ApplySocketOptions(int fd, const SocketOptions& options) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (options.sndbuf > 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.sndbuf, sizeof(options.sndbuf)) != 0) {
    return absl::ErrnoToStatus(errno, "setsockopt(SO_SNDBUF)");
  }
  if (options.rcvbuf > 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.rcvbuf, sizeof(options.rcvbuf)) != 0) {
    return absl::ErrnoToStatus(errno, "setsockopt(SO_RCVBUF)");
  }
  if (options.zerocopy && ::setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) != 0) {
    return absl::ErrnoToStatus(errno, "setsockopt(SO_ZEROCOPY)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Fd> NewTcpSocket(int family, const SocketOptions& options) {
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  SALVO_RETURN_IF_ERROR(ApplySocketOptions(fd.get(), options));
  return fd;
}

AppliedBuffers ProbeBufferSizes(const SocketOptions& options) {
  AppliedBuffers applied;
  absl::StatusOr<Fd> fd = NewTcpSocket(AF_INET, options);
  if (!fd.ok()) return applied;
  socklen_t len = sizeof(int);
  ::getsockopt(fd->get(), SOL_SOCKET, SO_SNDBUF, &applied.sndbuf, &len);
  len = sizeof(int);
  ::getsockopt(fd->get(), SOL_SOCKET, SO_RCVBUF, &applied.rcvbuf, &len);
  return applied;
}

absl::StatusOr<Fd> ListenTcp(const SocketAddress& address, const ListenOptions& options) {
  Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (options.reuse_port) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (::bind(fd.get(), address.get(), address.length) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind ", address.ToString()));
  }
  if (::listen(fd.get(), options.backlog) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listen ", address.ToString()));
  }
  return fd;
}

uint64_t RaiseFdLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur;
}

absl::Status CheckFdBudget(uint64_t connections) {
  const uint64_t limit = RaiseFdLimit();
  const uint64_t needed = connections + kReservedFds;
  if (needed > limit) {
    return absl::ResourceExhaustedError(absl::StrCat(
        connections, " connections need about ", needed, " file descriptors but the limit is ",
        limit, " (raise it with 'ulimit -n' or LimitNOFILE=, or use fewer connections)"));
  }
  return absl::OkStatus();
}

}  // namespace salvo::net
