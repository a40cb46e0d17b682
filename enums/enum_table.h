// One name table per enum: the text a user types and reads for each value, used to parse flags
// and specs, to print reports, and to give CLI11 its allowed values. Keeping the names in one
// table is what stops "io_uring" being spelt three ways in three files.
//
//   enum class Color { kRed, kGreen };
//   inline constexpr EnumTable<Color, 2> kColors{"color", {{{Color::kRed, "red"},
//                                                           {Color::kGreen, "green"}}}};
//   absl::StatusOr<Color> c = kColors.Parse("red");
//   absl::string_view name = kColors.Name(Color::kGreen);   // "green"
//
// The values of E must be 0..N-1 in table order: the wire form (wire/enums.h) relies on it to map
// a value to its proto enum (proto number = value + 1, 0 being UNSPECIFIED), and a test checks
// the names against the proto's.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace salvo::enums {

template <typename E, size_t N>
struct EnumTable {
  // What the values are, for error messages: "engine", "send mode".
  const char* kind;
  std::array<std::pair<E, const char*>, N> entries;

  static constexpr size_t size() { return N; }

  absl::string_view Name(E value) const {
    for (const auto& [e, name] : entries) {
      if (e == value) return name;
    }
    return "unknown";
  }

  absl::StatusOr<E> Parse(absl::string_view text) const {
    for (const auto& [e, name] : entries) {
      if (text == name) return e;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown ", kind, " '", text, "' (expected ", Expected(), ")"));
  }

  // "a, b or c"
  std::string Expected() const {
    std::string out;
    for (size_t i = 0; i < N; ++i) {
      absl::StrAppend(&out, i == 0 ? "" : (i + 1 == N ? " or " : ", "), entries[i].second);
    }
    return out;
  }

  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& entry : entries) out.emplace_back(entry.second);
    return out;
  }
};

}  // namespace salvo::enums
