#include "net/socket.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
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

namespace {

absl::Status BindSource(int fd, const SocketAddress& from) {
  int one = 1;
  // Not fatal where the kernel lacks it (before 4.2): the bind then takes a port itself.
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  if (::bind(fd, from.get(), from.length) != 0) {
    const int err = errno;
    if (err == EADDRNOTAVAIL) {
      return absl::FailedPreconditionError(
          absl::StrCat("source address ", from.HostText(),
                       " is not an address of this host (add it, e.g. "
                       "'ip addr add ",
                       from.HostText(), "/32 dev lo', or leave it out of --source-ips)"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("bind to source address ", from.HostText()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Fd> NewClientSocket(const SocketAddress& to, const SocketAddress* from,
                                   const SocketOptions& options) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewTcpSocket(to.family(), options));
  if (from != nullptr) SALVO_RETURN_IF_ERROR(BindSource(fd.get(), *from));
  return fd;
}

absl::Status CheckSourceAddress(const SocketAddress& from) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewTcpSocket(from.family()));
  return BindSource(fd.get(), from);
}

absl::Status ConnectError(int err, const SocketAddress* to) {
  const std::string what = to == nullptr ? "connect" : absl::StrCat("connect to ", to->ToString());
  absl::Status status;
  if (err == EADDRNOTAVAIL) {
    status = absl::ResourceExhaustedError(absl::StrCat(
        what,
        ": no local port is free (every port of net.ipv4.ip_local_port_range is in use or in "
        "TIME_WAIT); spread the connections over --source-ips, close with --close rst, use more "
        "agents, or widen ip_local_port_range"));
  } else {
    status = absl::ErrnoToStatus(err, what);
  }
  return WithConnectErrno(std::move(status), err);
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

Fd ReserveDescriptor() { return Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

absl::StatusOr<Fd> DuplicateListener(uint16_t port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return absl::ErrnoToStatus(errno, "/proc/self/fd");
  int found = -1;
  const int own = ::dirfd(dir);
  while (const dirent* e = ::readdir(dir)) {
    int fd = -1;
    if (!absl::SimpleAtoi(e->d_name, &fd) || fd == own) continue;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    if (absl::StatusOr<SocketAddress> local = LocalAddress(fd);
        local.ok() && local->port() == port) {
      found = fd;
      break;
    }
  }
  Fd copy(found < 0 ? -1 : ::fcntl(found, F_DUPFD_CLOEXEC, 0));
  const int dup_errno = errno;
  ::closedir(dir);
  if (found < 0) return absl::NotFoundError(absl::StrCat("no listening socket on port ", port));
  if (!copy.valid()) return absl::ErrnoToStatus(dup_errno, "dup listener");
  return copy;
}

absl::StatusOr<uint32_t> AcceptQueueLength(int fd) {
  // For a listening socket the kernel reports its accept queue in tcpi_unacked.
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    return absl::ErrnoToStatus(errno, "TCP_INFO");
  }
  if (info.tcpi_state != TCP_LISTEN) return absl::FailedPreconditionError("not listening");
  return info.tcpi_unacked;
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
