// Socket addresses as the user writes them: "127.0.0.1:7000", "[::1]:7000", "localhost:7000".
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salvo::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  uint16_t port() const;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  std::string ToString() const;
};

// Splits "host:port" / "[v6]:port". The port must be 0-65535 (0 only if allow_zero_port).
absl::Status SplitHostPort(absl::string_view text, std::string* host, uint16_t* port,
                           bool allow_zero_port = false);

// Resolves to the first address getaddrinfo returns (numeric hosts never touch DNS).
absl::StatusOr<SocketAddress> ResolveHostPort(absl::string_view text, bool allow_zero_port = false);

// The local address a socket is bound to (after bind to port 0, the port chosen).
absl::StatusOr<SocketAddress> LocalAddress(int fd);

}  // namespace salvo::net
