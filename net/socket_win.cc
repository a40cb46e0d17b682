// net/socket.h on Windows (Winsock 2). What has no Windows meaning is said so, never faked:
// there is no descriptor limit to raise, no listener to find among descriptors, no accept
// queue length to read.
#ifdef _WIN32

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/socket.h"
#include "status/status_macros.h"

namespace salvo::net {
namespace {

absl::Status SetOption(int fd, int level, int name, int value, absl::string_view what) {
  if (::setsockopt(Native(fd), level, name, reinterpret_cast<const char*>(&value), sizeof(value)) !=
      0) {
    return SocketErrorStatus(LastSocketError(), what);
  }
  return absl::OkStatus();
}

}  // namespace

// The workloads pass the POSIX errno a ConnectError carries; the C runtime here knows only the
// classic ones.
std::string ErrnoText(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "Connection refused";
    case EADDRNOTAVAIL:
      return "Cannot assign requested address";
    case ETIMEDOUT:
      return "Connection timed out";
    case ENETUNREACH:
      return "Network is unreachable";
    case EHOSTUNREACH:
      return "No route to host";
    case ECONNRESET:
      return "Connection reset by peer";
    default:
      return std::strerror(err);
  }
}

absl::Status ApplySocketOptions(int fd, const SocketOptions& options) {
  (void)SetOption(fd, IPPROTO_TCP, TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
  if (options.sndbuf > 0) {
    SALVO_RETURN_IF_ERROR(
        SetOption(fd, SOL_SOCKET, SO_SNDBUF, options.sndbuf, "setsockopt(SO_SNDBUF)"));
  }
  if (options.rcvbuf > 0) {
    SALVO_RETURN_IF_ERROR(
        SetOption(fd, SOL_SOCKET, SO_RCVBUF, options.rcvbuf, "setsockopt(SO_RCVBUF)"));
  }
  if (options.zerocopy) {
    return absl::InvalidArgumentError(
        "MSG_ZEROCOPY is Linux's; on Windows the zero-copy send is --send-mode direct");
  }
  return absl::OkStatus();
}

absl::StatusOr<Fd> NewTcpSocket(int family, const SocketOptions& options) {
  SALVO_RETURN_IF_ERROR(StartSockets());
  // Overlapped, so that the completion port can drive it; not inherited by child processes.
  const SOCKET s = ::WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return SocketErrorStatus(LastSocketError(), "WSASocket");
  Fd fd(FromSocket(s));
  SALVO_RETURN_IF_ERROR(ApplySocketOptions(fd.get(), options));
  return fd;
}

absl::StatusOr<Fd> NewClientSocket(const SocketAddress& to, const SocketAddress* from,
                                   const SocketOptions& options) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewTcpSocket(to.family(), options));
  if (from != nullptr && ::bind(Native(fd.get()), from->get(), from->length) != 0) {
    return SocketErrorStatus(LastSocketError(),
                             absl::StrCat("bind to source address ", from->HostText()));
  }
  return fd;
}

absl::Status CheckSourceAddress(const SocketAddress& from) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewTcpSocket(from.family()));
  if (::bind(Native(fd.get()), from.get(), from.length) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("source address ", from.HostText(), " is not an address of this host"));
  }
  return absl::OkStatus();
}

absl::Status ConnectError(int err, const SocketAddress* to) {
  const std::string what = to == nullptr ? "connect" : absl::StrCat("connect to ", to->ToString());
  const int posix = PosixErrno(err);
  absl::Status status;
  if (posix == ECONNREFUSED) {
    status = absl::UnavailableError(absl::StrCat(what, ": Connection refused"));
  } else if (posix == EADDRNOTAVAIL) {
    status = absl::ResourceExhaustedError(
        absl::StrCat(what,
                     ": no local port is free (the dynamic port range is used up); use "
                     "more machines or widen it with netsh int ipv4 set dynamicport"));
  } else {
    status = SocketErrorStatus(err, what);
  }
  return WithConnectErrno(std::move(status), posix);
}

absl::StatusOr<Fd> ListenTcp(const SocketAddress& address, const ListenOptions& options) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewTcpSocket(address.family()));
  // Windows' SO_REUSEADDR would let another process take the port; exclusive use instead.
  (void)SetOption(fd.get(), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1, "setsockopt(SO_EXCLUSIVEADDRUSE)");
  if (options.reuse_port) {
    return absl::UnimplementedError(
        "several listeners on one port (--threads above 1) need Linux's SO_REUSEPORT; on "
        "Windows use --threads 1");
  }
  if (::bind(Native(fd.get()), address.get(), address.length) != 0) {
    return SocketErrorStatus(LastSocketError(), absl::StrCat("bind ", address.ToString()));
  }
  if (::listen(Native(fd.get()), options.backlog) != 0) {
    return SocketErrorStatus(LastSocketError(), absl::StrCat("listen ", address.ToString()));
  }
  return fd;
}

uint64_t RaiseFdLimit() { return uint64_t{1} << 24; }  // Windows has no per-process socket limit

absl::Status CheckFdBudget(uint64_t connections) { return absl::OkStatus(); }

Fd ReserveDescriptor() { return Fd(); }

absl::StatusOr<Fd> DuplicateListener(uint16_t port) {
  return absl::UnimplementedError("finding a listener among open descriptors is Linux's");
}

absl::StatusOr<uint32_t> AcceptQueueLength(int fd) {
  return absl::UnimplementedError("the accept queue length is read from Linux's TCP_INFO");
}

}  // namespace salvo::net

#endif  // _WIN32
