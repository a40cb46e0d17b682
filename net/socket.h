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

// A nonblocking TCP socket for `family`, with TCP_NODELAY (salvo measures round trips, and
// Nagle would measure its own delay instead).
absl::StatusOr<Fd> NewTcpSocket(int family);

// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force.
uint64_t RaiseFdLimit();

// Checks, before any socket is opened, that `connections` sockets fit in the fd limit with room
// for the process's other descriptors. The error says how many are needed and how to raise it.
absl::Status CheckFdBudget(uint64_t connections);

// errno as a short text: "Connection refused".
std::string ErrnoText(int err);

}  // namespace salvo::net
