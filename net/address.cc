#include "net/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "status/status_macros.h"

namespace salvo::net {

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

std::string SocketAddress::ToString() const {
  char host[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, host,
              sizeof(host));
    return absl::StrCat(host, ":", port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, host,
              sizeof(host));
    return absl::StrCat("[", host, "]:", port());
  }
  return "(unknown address)";
}

absl::Status SplitHostPort(absl::string_view text, std::string* host, uint16_t* port,
                           bool allow_zero_port) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", text, "': ", why, " (expected HOST:PORT)"));
  };
  absl::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("unbalanced brackets");
    }
    *host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return bad("no port");
    *host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host->find(':') != std::string::npos) return bad("IPv6 hosts need brackets");
  }
  if (host->empty()) return bad("no host");
  uint32_t p = 0;
  if (!absl::SimpleAtoi(port_text, &p) || p > 65535) return bad("port must be 0-65535");
  if (p == 0 && !allow_zero_port) return bad("port 0");
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

absl::StatusOr<SocketAddress> ResolveHostPort(absl::string_view text, bool allow_zero_port) {
  std::string host;
  uint16_t port = 0;
  SALVO_RETURN_IF_ERROR(SplitHostPort(text, &host, &port, allow_zero_port));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* result = nullptr;
  const std::string port_text = absl::StrCat(port);
  const int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  SocketAddress addr;
  std::memcpy(&addr.storage, result->ai_addr, result->ai_addrlen);
  addr.length = result->ai_addrlen;
  freeaddrinfo(result);
  return addr;
}

absl::StatusOr<SocketAddress> LocalAddress(int fd) {
  SocketAddress addr;
  addr.length = sizeof(addr.storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr.storage), &addr.length) != 0) {
    return absl::ErrnoToStatus(errno, "getsockname");
  }
  return addr;
}

}  // namespace salvo::net
