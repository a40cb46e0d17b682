#include "proto/json.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace salvo::v1 {
namespace {

std::string Print(const google::protobuf::Message& message, bool whitespace) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = whitespace;
  // Printing a well-formed message cannot fail; the status only reports unresolvable Any types.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

// The printer indents by one space per level.
void WriteIndented(absl::string_view text, int depth, std::ostream& out) {
  const std::string indent(static_cast<size_t>(depth), ' ');
  size_t from = 0;
  for (size_t nl = text.find('\n'); nl != absl::string_view::npos; nl = text.find('\n', from)) {
    out << text.substr(from, nl + 1 - from) << indent;
    from = nl + 1;
  }
  out << text.substr(from);
}

}  // namespace

std::string ToJson(const google::protobuf::Message& message) { return Print(message, true); }

std::string ToCompactJson(const google::protobuf::Message& message) {
  return Print(message, false);
}

void WriteJsonArray(size_t count, const std::function<std::string(size_t)>& element, int depth,
                    std::ostream& out) {
  if (count == 0) {
    out << "[]";
    return;
  }
  out << "[";
  for (size_t i = 0; i < count; ++i) {
    std::string e = element(i);
    if (!e.empty() && e.back() == '\n') e.pop_back();
    out << (i == 0 ? "\n" : ",\n") << std::string(static_cast<size_t>(depth) + 1, ' ');
    WriteIndented(e, depth + 1, out);
  }
  out << "\n" << std::string(static_cast<size_t>(depth), ' ') << "]";
}

void WriteJsonWithArrays(const google::protobuf::Message& shell,
                         const std::vector<std::pair<absl::string_view, JsonArrayWriter>>& arrays,
                         int depth, std::ostream& out) {
  const std::string json = ToJson(shell);
  // Where each array goes: a top-level key is the only one that follows a newline and exactly
  // one space.
  std::vector<std::pair<size_t, const JsonArrayWriter*>> at;
  for (const auto& [field, writer] : arrays) {
    const std::string key = absl::StrCat("\n \"", field, "\": []");
    const size_t pos = json.find(key);
    if (pos != std::string::npos) at.emplace_back(pos + key.size() - 2, &writer);
  }
  std::sort(at.begin(), at.end());
  absl::string_view rest = json;
  size_t done = 0;
  for (const auto& [pos, writer] : at) {
    WriteIndented(rest.substr(done, pos - done), depth, out);
    (*writer)(depth + 1, out);
    done = pos + 2;  // past the "[]"
  }
  absl::string_view tail = rest.substr(done);
  if (!tail.empty() && tail.back() == '\n') tail.remove_suffix(1);
  WriteIndented(tail, depth, out);
}

}  // namespace salvo::v1
