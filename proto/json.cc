#include "proto/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"

namespace salvo::v1 {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// protobuf's JSON printer writes 64-bit integers as strings (JavaScript's numbers hold integers
// exactly only up to 2^53), which makes `jq '.totals.counters.bytes_sent + 1'` an error and
// `max` compare text. salvo's counters never come near 2^53 (9 PB, or 9e15 messages), so this
// printer writes every integer as a number; otherwise it prints what protobuf's does (proto
// field names, every field present, enums by name, bytes in base64, NaN and infinities as the
// strings protobuf's parser reads back), and protobuf's parser reads its output.
class Printer {
 public:
  Printer(bool whitespace, std::string* out) : whitespace_(whitespace), out_(*out) {}

  void PrintMessage(const Message& m, int depth) {
    const google::protobuf::Descriptor* d = m.GetDescriptor();
    const Reflection* r = m.GetReflection();
    if (d->field_count() == 0) {
      out_ += "{}";
      return;
    }
    out_ += '{';
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      // Unset message fields, oneof members and proto3 `optional` fields (a fact that does not
      // apply) are left out, as protobuf's printer does.
      if (f->has_presence() && !f->is_repeated() && !r->HasField(m, f)) continue;
      if (out_.back() != '{') out_ += ',';
      NewLine(depth + 1);
      Quote(f->name());
      out_ += whitespace_ ? ": " : ":";
      if (f->is_map()) {
        PrintMap(m, f, depth + 1);
      } else if (f->is_repeated()) {
        const int n = r->FieldSize(m, f);
        if (n == 0) {
          out_ += "[]";
          continue;
        }
        out_ += '[';
        for (int k = 0; k < n; ++k) {
          if (k > 0) out_ += ',';
          NewLine(depth + 2);
          PrintValue(m, f, k, depth + 2);
        }
        NewLine(depth + 1);
        out_ += ']';
      } else {
        PrintValue(m, f, -1, depth + 1);
      }
    }
    NewLine(depth);
    out_ += '}';
  }

 private:
  void NewLine(int depth) {
    if (!whitespace_) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(depth), ' ');
  }

  void Quote(absl::string_view s) {
    out_ += '"';
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (c < 0x20) {
            absl::StrAppend(&out_, absl::StrFormat("\\u%04x", c));
          } else {
            out_ += ch;
          }
      }
    }
    out_ += '"';
  }

  void Double(double v) {
    if (std::isnan(v)) {
      out_ += "\"NaN\"";
    } else if (std::isinf(v)) {
      out_ += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
      // The shortest text that reads back as the same double.
      char buf[32];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
      out_.append(buf, end);
    }
  }

  void PrintMap(const Message& m, const FieldDescriptor* f, int depth) {
    const Reflection* r = m.GetReflection();
    const int n = r->FieldSize(m, f);
    if (n == 0) {
      out_ += "{}";
      return;
    }
    // Sorted by key, so that the same map always prints the same.
    std::vector<std::pair<std::string, const Message*>> entries;
    for (int k = 0; k < n; ++k) {
      const Message& entry = r->GetRepeatedMessage(m, f, k);
      const FieldDescriptor* key = entry.GetDescriptor()->map_key();
      const Reflection* er = entry.GetReflection();
      std::string text;
      switch (key->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          text = er->GetString(entry, key);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          text = er->GetBool(entry, key) ? "true" : "false";
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          text = absl::StrCat(er->GetInt32(entry, key));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          text = absl::StrCat(er->GetInt64(entry, key));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          text = absl::StrCat(er->GetUInt32(entry, key));
          break;
        default:
          text = absl::StrCat(er->GetUInt64(entry, key));
      }
      entries.emplace_back(std::move(text), &entry);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out_ += '{';
    for (size_t k = 0; k < entries.size(); ++k) {
      if (k > 0) out_ += ',';
      NewLine(depth + 1);
      Quote(entries[k].first);
      out_ += whitespace_ ? ": " : ":";
      const Message& entry = *entries[k].second;
      PrintValue(entry, entry.GetDescriptor()->map_value(), -1, depth + 1);
    }
    NewLine(depth);
    out_ += '}';
  }

  // Field f of m, or its element `index` when repeated.
  void PrintValue(const Message& m, const FieldDescriptor* f, int index, int depth) {
    const Reflection* r = m.GetReflection();
    const bool rep = index >= 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        absl::StrAppend(&out_, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        absl::StrAppend(&out_, rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        absl::StrAppend(&out_, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        absl::StrAppend(&out_, rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        Double(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        Double(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_ += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int v = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
        const google::protobuf::EnumValueDescriptor* e = f->enum_type()->FindValueByNumber(v);
        if (e != nullptr) {
          Quote(e->name());
        } else {
          absl::StrAppend(&out_, v);  // a value this build does not know: as protobuf prints it
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                   : r->GetStringReference(m, f, &scratch);
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          Quote(absl::Base64Escape(s));
        } else {
          Quote(s);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        PrintMessage(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), depth);
        break;
    }
  }

  const bool whitespace_;
  std::string& out_;
};

std::string Print(const google::protobuf::Message& message, bool whitespace) {
  std::string json;
  Printer(whitespace, &json).PrintMessage(message, 0);
  if (whitespace) json += '\n';
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

void WriteJsonWithArrays(const google::protobuf::Message& message,
                         const std::vector<std::pair<absl::string_view, JsonArrayWriter>>& arrays,
                         int depth, std::ostream& out) {
  // A copy of every other top-level field: the arrays are the long part, left where they are.
  google::protobuf::FieldMask others;
  const google::protobuf::Descriptor* d = message.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const std::string& name = d->field(i)->name();
    if (std::none_of(arrays.begin(), arrays.end(),
                     [&name](const auto& a) { return a.first == name; })) {
      others.add_paths(name);
    }
  }
  std::unique_ptr<google::protobuf::Message> shell(message.New());
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(
      message, others, google::protobuf::util::FieldMaskUtil::MergeOptions(), shell.get());
  const std::string json = ToJson(*shell);
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
