// Socket addresses as the user writes them: "127.0.0.1:7000", "[::1]:7000", "localhost:7000".
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/platform.h"

namespace salvo::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  uint16_t port() const;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  std::string ToString() const;
  // The address without the port: "127.0.0.2", "::1".
  std::string HostText() const;
};

// "::1", "fe80::1%eth0": an IPv6 address, with an optional zone.
bool IsIpv6Literal(absl::string_view text);

// Splits "host:port" / "[v6]:port". The port must be 0-65535 (0 only if allow_zero_port).
absl::Status SplitHostPort(absl::string_view text, std::string* host, uint16_t* port,
                           bool allow_zero_port = false);

// How a host name may be resolved: by the system's resolver (DNS, /etc/hosts), or only as a
// numeric address, never sending a query (for fuzzing and other offline checks).
enum class HostLookup { kSystem, kNumericOnly };

// The inverse of SplitHostPort: "host:port", or "[v6]:port" when the host has colons.
std::string JoinHostPort(absl::string_view host, uint16_t port);

// Resolves to the first address getaddrinfo returns (numeric hosts never touch DNS).
absl::StatusOr<SocketAddress> ResolveHostPort(absl::string_view text, bool allow_zero_port = false,
                                              HostLookup lookup = HostLookup::kSystem);

// The local address a socket is bound to (after bind to port 0, the port chosen).
absl::StatusOr<SocketAddress> LocalAddress(int fd);

}  // namespace salvo::net
