#include "units/units.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace salvo::units {

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  const std::string lowered = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::string_view s = lowered;
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size '", text, "': ", why, " (examples: 64, 4k, 128KiB, 1m)"));
  };
  if (s.empty()) return invalid("empty");
  size_t digits = 0;
  while (digits < s.size() && absl::ascii_isdigit(s[digits])) ++digits;
  if (digits == 0) return invalid("expected a whole number of bytes");
  uint64_t number = 0;
  if (!absl::SimpleAtoi(s.substr(0, digits), &number)) return invalid("number too large");
  absl::string_view suffix = s.substr(digits);
  uint64_t multiplier = 0;
  static constexpr struct {
    absl::string_view unit;
    int shift;
  } kUnits[] = {{"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
                {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}};
  for (const auto& u : kUnits) {
    if (suffix == u.unit) multiplier = uint64_t{1} << u.shift;
  }
  if (multiplier == 0) return invalid(absl::StrCat("unknown unit '", suffix, "'"));
  if (number > std::numeric_limits<uint64_t>::max() / multiplier) return invalid("too large");
  return number * multiplier;
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  absl::Duration d;
  double seconds = 0;
  if (absl::SimpleAtod(s, &seconds) && std::isfinite(seconds)) {
    d = absl::Seconds(seconds);
  } else if (s.empty() || !absl::ParseDuration(s, &d) || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration '", text, "' (examples: 10, 10s, 250ms, 1m30s)"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration '", text, "': negative"));
  }
  return d;
}

namespace {

// Decimals that show three significant digits of a value from 1 to 999.
int ThreeDigits(double v) { return v < 10 ? 2 : v < 100 ? 1 : 0; }

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return absl::StrCat(bytes, "B");
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  if (v == std::floor(v)) return absl::StrFormat("%.0f%s", v, kUnits[unit]);
  return absl::StrFormat("%.*f%s", ThreeDigits(v), v, kUnits[unit]);
}

std::string FormatCount(double value) {
  static constexpr const char* kUnits[] = {"", "k", "M", "G", "T"};
  if (value < 1000) {
    return value == std::floor(value) ? absl::StrFormat("%.0f", value)
                                      : absl::StrFormat("%.1f", value);
  }
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  return absl::StrFormat("%.*f%s", ThreeDigits(value), value, kUnits[unit]);
}

std::string FormatMicros(double us) {
  if (us < 1) return absl::StrFormat("%.0fns", us * 1000);
  if (us < 1000) return absl::StrFormat("%.*fus", ThreeDigits(us), us);
  double ms = us / 1000;
  if (ms < 1000) return absl::StrFormat("%.*fms", ThreeDigits(ms), ms);
  return absl::StrFormat("%.2fs", ms / 1000);
}

std::string FormatMBps(double mb_per_sec) {
  return absl::StrFormat("%.*f", mb_per_sec < 10 ? 2 : 1, mb_per_sec);
}

}  // namespace salvo::units
