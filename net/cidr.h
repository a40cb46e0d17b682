// Address ranges: CIDR blocks for the agent's --allow-target, and address lists for
// --source-ips.
//
//   absl::StatusOr<Cidr> lo = Cidr::Parse("127.0.0.0/8");
//   lo->Contains(address);   // any 127.x.y.z
//   ParseAddressList("127.0.0.2-127.0.0.40,10.1.0.0/30", 4096);  // 39 + 2 addresses
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/address.h"

namespace salvo::net {

class Cidr {
 public:
  // "10.0.0.0/8", "::1/128", or a bare address (a single host).
  static absl::StatusOr<Cidr> Parse(absl::string_view text);

  bool Contains(const SocketAddress& address) const;
  const std::string& text() const { return text_; }

 private:
  int family_ = 0;
  std::array<uint8_t, 16> bytes_{};
  int prefix_ = 0;
  std::string text_;
};

// Individual addresses (port 0) from a comma-separated list of addresses, ranges "FIRST-LAST"
// (inclusive, one family) and CIDR blocks. An IPv4 block of 4 or more addresses leaves out its
// network and broadcast addresses, which no host can use. Duplicates are errors (a user who
// lists an address twice has most likely mistyped a range), as are lists longer than `max`.
absl::StatusOr<std::vector<SocketAddress>> ParseAddressList(absl::string_view list, size_t max);

// 127.0.0.0/8 and ::1/128: where an agent may send by default, and where it may listen
// without credentials.
std::vector<Cidr> LoopbackRanges();
bool IsLoopback(const SocketAddress& address);

}  // namespace salvo::net
