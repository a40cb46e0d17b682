// Address ranges in CIDR notation, for the agent's --allow-target.
//
//   absl::StatusOr<Cidr> lo = Cidr::Parse("127.0.0.0/8");
//   lo->Contains(address);   // any 127.x.y.z
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

// 127.0.0.0/8 and ::1/128: where an agent may send by default, and where it may listen
// without credentials.
std::vector<Cidr> LoopbackRanges();
bool IsLoopback(const SocketAddress& address);

}  // namespace salvo::net
