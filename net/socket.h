// Socket set-up that every engine shares: listening sockets, socket options, the fd budget.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/fd.h"

namespace salvo::net {

struct ListenOptions {
  int backlog = 4096;
  // Several sockets on one port, one per worker thread; the kernel spreads connections.
  bool reuse_port = false;
};

absl::StatusOr<Fd> ListenTcp(const SocketAddress& address, const ListenOptions& options);

struct SocketOptions {
  // SO_SNDBUF / SO_RCVBUF; 0 keeps the kernel's default and its autotuning.
  int sndbuf = 0;
  int rcvbuf = 0;
  // SO_ZEROCOPY, for MSG_ZEROCOPY sends.
  bool zerocopy = false;
};

// TCP_NODELAY (salvo measures round trips, and Nagle would measure its own delay instead), then
// the buffer sizes and SO_ZEROCOPY as asked.
absl::Status ApplySocketOptions(int fd, const SocketOptions& options);

// A nonblocking TCP socket for `family` with `options` applied.
absl::StatusOr<Fd> NewTcpSocket(int family, const SocketOptions& options = {});

// A nonblocking TCP socket for a connect to `to`, bound to the source address `from` when it is
// not null. The bind uses IP_BIND_ADDRESS_NO_PORT, so the kernel picks the port at connect()
// from the ports free for the whole 4-tuple: each source address then has a port range of its
// own, which is how one host opens more connections to one target than ip_local_port_range
// holds ports.
absl::StatusOr<Fd> NewClientSocket(const SocketAddress& to, const SocketAddress* from,
                                   const SocketOptions& options);

// Checks that `from` is an address of this host that a connect can be bound to.
absl::Status CheckSourceAddress(const SocketAddress& from);

// The status of a connect (to `to`, when known) that failed with `err`. EADDRNOTAVAIL, the
// kernel's way of saying no local port is free, names the remedies.
absl::Status ConnectError(int err, const SocketAddress* to);
// The errno a ConnectError status carries (0 for any other status), so that failures are
// counted by kind without parsing messages.
int ConnectErrno(const absl::Status& status);
// `status` carrying `posix_errno` for ConnectErrno (a Windows error is given as its POSIX kind).
absl::Status WithConnectErrno(absl::Status status, int posix_errno);

// The SO_SNDBUF and SO_RCVBUF the kernel actually applies for `options` (Linux doubles the
// request for its own bookkeeping and clamps it to net.core.[wr]mem_max), read back from a
// throwaway socket.
struct AppliedBuffers {
  int sndbuf = 0;
  int rcvbuf = 0;
};
AppliedBuffers ProbeBufferSizes(const SocketOptions& options);

// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force.
uint64_t RaiseFdLimit();

// Checks, before any socket is opened, that `connections` sockets fit in the fd limit with room
// for the process's other descriptors. The error says how many are needed and how to raise it.
absl::Status CheckFdBudget(uint64_t connections);

// A descriptor held in reserve (on /dev/null): closed to make room when the process is out of
// descriptors, so that it can still accept (and refuse) a connection or open a listener.
Fd ReserveDescriptor();

// A duplicate of this process's listening TCP socket on `port`, found among its open
// descriptors: a way to watch a listener that a library (gRPC) created and accepts on.
absl::StatusOr<Fd> DuplicateListener(uint16_t port);

// Connections the kernel has completed on listening socket `fd` that wait for accept().
absl::StatusOr<uint32_t> AcceptQueueLength(int fd);

// errno as a short text: "Connection refused".
std::string ErrnoText(int err);

}  // namespace salvo::net
