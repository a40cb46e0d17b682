#include "net/address.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
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

std::string SocketAddress::HostText() const {
  char host[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, host,
              sizeof(host));
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, host,
              sizeof(host));
  } else {
    return "(unknown address)";
  }
  return host;
}

std::string SocketAddress::ToString() const {
  if (family() == AF_INET6) return absl::StrCat("[", HostText(), "]:", port());
  if (family() == AF_INET) return absl::StrCat(HostText(), ":", port());
  return HostText();
}

bool IsIpv6Literal(absl::string_view text) {
  // A zone ("%eth0") names an interface; the address is what precedes it.
  const std::string address(text.substr(0, text.find('%')));
  in6_addr parsed{};
  return inet_pton(AF_INET6, address.c_str(), &parsed) == 1;
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
    if (!IsIpv6Literal(*host)) return bad("brackets hold an IPv6 address");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return bad("no port");
    *host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host->find(':') != std::string::npos) return bad("IPv6 hosts need brackets");
  }
  if (host->empty()) return bad("no host");
  // Names, IPv4 and IPv6 addresses (with a %scope) need nothing else; anything else would be
  // passed on to a resolver or a command line.
  const auto name_char = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
           c == ':' || c == '%';
  };
  if (!std::all_of(host->begin(), host->end(), name_char)) return bad("not a host name");
  uint32_t p = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &p) || p > 65535) {
    return bad("port must be 0-65535");
  }
  if (p == 0 && !allow_zero_port) return bad("port 0");
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

std::string JoinHostPort(absl::string_view host, uint16_t port) {
  return host.find(':') != absl::string_view::npos ? absl::StrCat("[", host, "]:", port)
                                                   : absl::StrCat(host, ":", port);
}

absl::StatusOr<SocketAddress> ResolveHostPort(absl::string_view text, bool allow_zero_port,
                                              HostLookup lookup) {
  SALVO_RETURN_IF_ERROR(StartSockets());
  std::string host;
  uint16_t port = 0;
  SALVO_RETURN_IF_ERROR(SplitHostPort(text, &host, &port, allow_zero_port));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  if (lookup == HostLookup::kNumericOnly) hints.ai_flags = AI_NUMERICHOST;
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
  if (getsockname(Native(fd), reinterpret_cast<sockaddr*>(&addr.storage), &addr.length) != 0) {
    return SocketErrorStatus(LastSocketError(), "getsockname");
  }
  return addr;
}

}  // namespace salvo::net
