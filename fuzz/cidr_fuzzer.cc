// The agent's --allow-target ranges: the first line is a CIDR, the bytes after it an address.
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "net/address.h"
#include "net/cidr.h"

namespace {

salvo::net::SocketAddress AddressFrom(absl::string_view bytes) {
  salvo::net::SocketAddress a;
  if (bytes.size() >= 16) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    std::memcpy(&v6.sin6_addr, bytes.data(), 16);
    std::memcpy(&a.storage, &v6, sizeof(v6));
    a.length = sizeof(v6);
  } else {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    if (!bytes.empty()) std::memcpy(&v4.sin_addr, bytes.data(), std::min<size_t>(bytes.size(), 4));
    std::memcpy(&a.storage, &v4, sizeof(v4));
    a.length = sizeof(v4);
  }
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using salvo::net::Cidr;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view text = input.substr(0, newline);
  const absl::string_view rest =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(newline + 1);
  absl::StatusOr<Cidr> cidr = Cidr::Parse(text);
  if (!cidr.ok()) return 0;
  // The range's own text names the same range.
  absl::StatusOr<Cidr> again = Cidr::Parse(cidr->text());
  SALVO_FUZZ_CHECK(again.ok());
  const salvo::net::SocketAddress address = AddressFrom(rest);
  SALVO_FUZZ_CHECK(cidr->Contains(address) == again->Contains(address));
  return 0;
}
