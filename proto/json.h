// The JSON salvo writes for programs: protobuf's JSON mapping with the proto field names
// (snake_case), every field present, zeros included, so readers need no defaults, and integers
// as JSON numbers (protobuf's printer quotes 64-bit ones), so that jq and JavaScript can add and
// compare them. protobuf's parser (JsonStringToMessage) reads it back.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace salvo::v1 {

std::string ToJson(const google::protobuf::Message& message);

// As ToJson, on one line: for the elements of a long list.
std::string ToCompactJson(const google::protobuf::Message& message);

// Writes a JSON array element by element, for lists too long to print at once: protobuf's
// printer first builds a tree of the whole message when it prints zeros, about 150 bytes for
// every field of every element, which for a long run took gigabytes. `element(i)` is the i-th
// element's JSON (ToJson or ToCompactJson); `depth` is the array's nesting level.
void WriteJsonArray(size_t count, const std::function<std::string(size_t)>& element, int depth,
                    std::ostream& out);

// A repeated message field's elements, each on one line (ToCompactJson).
template <typename T>
void WriteCompactJsonArray(const google::protobuf::RepeatedPtrField<T>& items, int depth,
                           std::ostream& out) {
  WriteJsonArray(
      static_cast<size_t>(items.size()),
      [&items](size_t i) { return ToCompactJson(items[static_cast<int>(i)]); }, depth, out);
}

// Writes a repeated field's elements: given the field's nesting level.
using JsonArrayWriter = std::function<void(int depth, std::ostream& out)>;

// Writes `message` as ToJson prints it at nesting level `depth`, with each named top-level
// repeated field written by its writer instead (the printer never sees those fields).
void WriteJsonWithArrays(const google::protobuf::Message& message,
                         const std::vector<std::pair<absl::string_view, JsonArrayWriter>>& arrays,
                         int depth, std::ostream& out);

}  // namespace salvo::v1
