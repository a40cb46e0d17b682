// What a user types on the command line: sizes, durations and host:port.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "net/address.h"
#include "plan/limits.h"
#include "units/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salvo;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  if (absl::StatusOr<uint64_t> bytes = units::ParseSize(text); bytes.ok()) {
    // A size's plain number parses back to the same size, and it prints.
    absl::StatusOr<uint64_t> again = units::ParseSize(absl::StrCat(*bytes));
    SALVO_FUZZ_CHECK(again.ok() && *again == *bytes);
    SALVO_FUZZ_CHECK(!units::FormatBytes(*bytes).empty());
  }

  if (absl::StatusOr<absl::Duration> d = units::ParseDuration(text); d.ok()) {
    SALVO_FUZZ_CHECK(*d >= absl::ZeroDuration());
    // A duration within the run limits converts to the milliseconds the wire carries.
    if (*d <= plan::kMaxDuration) SALVO_FUZZ_CHECK(absl::ToInt64Milliseconds(*d) >= 0);
    SALVO_FUZZ_CHECK(!units::FormatMicros(absl::ToDoubleMicroseconds(*d)).empty());
  }

  std::string host;
  uint16_t port = 0;
  if (net::SplitHostPort(text, &host, &port, /*allow_zero_port=*/true).ok()) {
    // What was split joins back into text that splits the same way.
    SALVO_FUZZ_CHECK(!host.empty());
    const std::string joined = net::JoinHostPort(host, port);
    std::string host2;
    uint16_t port2 = 0;
    SALVO_FUZZ_CHECK(net::SplitHostPort(joined, &host2, &port2, true).ok());
    SALVO_FUZZ_CHECK(host2 == host && port2 == port);
    // Never a DNS query from a fuzzer: numeric hosts only.
    (void)net::ResolveHostPort(text, true, net::HostLookup::kNumericOnly);
  }
  return 0;
}
