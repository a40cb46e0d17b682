#include "net/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace salvo::net {

absl::StatusOr<Cidr> Cidr::Parse(absl::string_view text) {
  Cidr c;
  c.text_ = std::string(text);
  const size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address range '", text, "': ", why, " (examples: 10.0.0.0/8, ::1)"));
  };
  if (inet_pton(AF_INET, host.c_str(), c.bytes_.data()) == 1) {
    c.family_ = AF_INET;
    c.prefix_ = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), c.bytes_.data()) == 1) {
    c.family_ = AF_INET6;
    c.prefix_ = 128;
  } else {
    return bad("not an IP address");
  }
  if (slash != absl::string_view::npos) {
    int prefix = -1;
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0 || prefix > c.prefix_) {
      return bad(absl::StrCat("prefix must be 0-", c.prefix_));
    }
    c.prefix_ = prefix;
  }
  return c;
}

bool Cidr::Contains(const SocketAddress& address) const {
  const uint8_t* bytes = nullptr;
  uint8_t mapped[4];
  if (address.family() == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_addr);
    if (family_ != AF_INET) return false;
  } else if (address.family() == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_addr;
    if (family_ == AF_INET && IN6_IS_ADDR_V4MAPPED(a6)) {
      // ::ffff:a.b.c.d is the IPv4 address it carries.
      std::memcpy(mapped, a6->s6_addr + 12, 4);
      bytes = mapped;
    } else if (family_ == AF_INET6) {
      bytes = a6->s6_addr;
    } else {
      return false;
    }
  } else {
    return false;
  }
  const int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(bytes, bytes_.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (bytes_[full] & mask);
}

std::vector<Cidr> LoopbackRanges() {
  return {*Cidr::Parse("127.0.0.0/8"), *Cidr::Parse("::1/128")};
}

bool IsLoopback(const SocketAddress& address) {
  for (const Cidr& range : LoopbackRanges()) {
    if (range.Contains(address)) return true;
  }
  return false;
}

}  // namespace salvo::net
