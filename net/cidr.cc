#include "net/cidr.h"

#include <cstring>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "net/platform.h"

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

namespace {

// An address as a 128-bit number, so that ranges of either family are counted alike.
struct Numeric {
  int family = 0;
  absl::uint128 value = 0;
};

std::optional<Numeric> ParseNumeric(absl::string_view text) {
  const std::string host(text);
  uint8_t bytes[16];
  Numeric n;
  size_t len = 0;
  if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
    n.family = AF_INET;
    len = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
    n.family = AF_INET6;
    len = 16;
  } else {
    return std::nullopt;
  }
  for (size_t i = 0; i < len; ++i) n.value = (n.value << 8) | bytes[i];
  return n;
}

SocketAddress ToAddress(const Numeric& n) {
  SocketAddress a;
  if (n.family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    const uint32_t v = static_cast<uint32_t>(absl::Uint128Low64(n.value));
    in->sin_addr.s_addr = htonl(v);
    a.length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    absl::uint128 v = n.value;
    for (int i = 15; i >= 0; --i) {
      in6->sin6_addr.s6_addr[i] = static_cast<uint8_t>(absl::Uint128Low64(v) & 0xff);
      v >>= 8;
    }
    a.length = sizeof(sockaddr_in6);
  }
  return a;
}

}  // namespace

absl::StatusOr<std::vector<SocketAddress>> ParseAddressList(absl::string_view list, size_t max) {
  std::vector<SocketAddress> out;
  absl::flat_hash_set<absl::uint128> seen;
  int family = 0;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid address '", item, "': ", why,
          " (examples: 127.0.0.2, 127.0.0.2-127.0.0.40, 10.1.0.0/24, 2001:db8::/120)"));
    };
    if (item.empty()) return bad("empty entry");
    Numeric first, last;
    if (const size_t dash = item.find('-'); dash != absl::string_view::npos) {
      std::optional<Numeric> a = ParseNumeric(item.substr(0, dash));
      std::optional<Numeric> b = ParseNumeric(item.substr(dash + 1));
      if (!a || !b) return bad("not a range of two IP addresses");
      if (a->family != b->family) return bad("the range's ends are of different families");
      if (b->value < a->value) return bad("the range ends before it starts");
      first = *a;
      last = *b;
    } else if (const size_t slash = item.find('/'); slash != absl::string_view::npos) {
      std::optional<Numeric> a = ParseNumeric(item.substr(0, slash));
      if (!a) return bad("not an IP address");
      const int bits = a->family == AF_INET ? 32 : 128;
      int prefix = -1;
      if (!absl::SimpleAtoi(item.substr(slash + 1), &prefix) || prefix < 0 || prefix > bits) {
        return bad(absl::StrCat("prefix must be 0-", bits));
      }
      const int host_bits = bits - prefix;
      const absl::uint128 size =
          host_bits >= 128 ? absl::Uint128Max() : absl::uint128(1) << host_bits;
      first = *a;
      first.value = a->value & ~(size - 1);
      last = first;
      last.value = first.value + (size - 1);
      if (a->family == AF_INET && host_bits >= 2) {
        first.value += 1;
        last.value -= 1;
      }
    } else {
      std::optional<Numeric> a = ParseNumeric(item);
      if (!a) return bad("not an IP address");
      first = last = *a;
    }
    if (family != 0 && first.family != family) {
      return bad("all source addresses must be of one family");
    }
    family = first.family;
    if (last.value - first.value >= absl::uint128(max - out.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("the address list '", list, "' has more than ", max, " addresses"));
    }
    for (absl::uint128 v = first.value;; ++v) {
      if (!seen.insert(v).second) {
        return bad(absl::StrCat(ToAddress(Numeric{family, v}).HostText(), " is listed twice"));
      }
      out.push_back(ToAddress(Numeric{family, v}));
      if (v == last.value) break;
    }
  }
  return out;
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
