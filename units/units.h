// Parsing and printing of the quantities a user types and reads: byte sizes, durations, counts.
//
//   ParseSize("4k")        -> 4096        (binary multiples: k = 1024, m = 1024^2, g = 1024^3)
//   ParseDuration("10")    -> 10s         (a bare number is seconds; "250ms", "1m30s" also work)
//   FormatCount(1234567)   -> "1.23M"
//   FormatMicros(1234.5)   -> "1.23ms"
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace salvo::units {

// "64", "4k", "4K", "4kb", "4KiB", "1m", "1g". Rejects empty, negative, fractional, overflowing
// and unknown suffixes with a message that quotes the input.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);

// absl duration syntax ("250ms", "1.5s", "2m") or a bare number of seconds. Rejects negatives.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// 1536 -> "1.5KiB"; exact small values stay integers ("64B").
std::string FormatBytes(uint64_t bytes);
// 1234567 -> "1.23M", 999 -> "999".
std::string FormatCount(double value);
// Microseconds with a unit that keeps three significant digits: "850ns", "45.2us", "1.20ms",
// "3.00s".
std::string FormatMicros(double us);
// Decimal megabytes per second, the unit iperf-style tools print: "1234.5".
std::string FormatMBps(double mb_per_sec);

}  // namespace salvo::units
