#include "wire/text.h"

#include <algorithm>

#include <charconv>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "wire/enums.h"

namespace salvo::wire {
std::string DoubleText(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : absl::StrCat(v);
}

std::string EnumText(const google::protobuf::EnumValueDescriptor* value) {
  const std::string& type = value->type()->full_name();
  const int n = value->number();
  if (type == "salvo.v1.Engine") return std::string(Name(static_cast<v1::Engine>(n)));
  if (type == "salvo.v1.SendMode") return std::string(Name(static_cast<v1::SendMode>(n)));
  if (type == "salvo.v1.Workload") return std::string(Name(static_cast<v1::Workload>(n)));
  if (type == "salvo.v1.LossPolicy") return std::string(Name(static_cast<v1::LossPolicy>(n)));
  if (type == "salvo.v1.RunStatus") return std::string(Name(static_cast<v1::RunStatus>(n)));
  if (type == "salvo.v1.Timing") return std::string(Name(static_cast<v1::Timing>(n)));
  return value->name();
}

std::vector<const google::protobuf::FieldDescriptor*> ScalarFields(
    const google::protobuf::Descriptor* d) {
  std::vector<const google::protobuf::FieldDescriptor*> out;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (!f->is_repeated() && f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      out.push_back(f);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto* a, const auto* b) { return a->number() < b->number(); });
  return out;
}

std::string FieldText(const google::protobuf::Message& m,
                      const google::protobuf::FieldDescriptor* f) {
  // A proto3 `optional` field that does not apply is an empty cell, not a 0.
  if (f->has_presence() && !m.GetReflection()->HasField(m, f)) return "";
  const google::protobuf::Reflection* r = m.GetReflection();
  using F = google::protobuf::FieldDescriptor;
  switch (f->cpp_type()) {
    case F::CPPTYPE_INT32:
      return absl::StrCat(r->GetInt32(m, f));
    case F::CPPTYPE_INT64:
      return absl::StrCat(r->GetInt64(m, f));
    case F::CPPTYPE_UINT32:
      return absl::StrCat(r->GetUInt32(m, f));
    case F::CPPTYPE_UINT64:
      return absl::StrCat(r->GetUInt64(m, f));
    case F::CPPTYPE_DOUBLE:
      return DoubleText(r->GetDouble(m, f));
    case F::CPPTYPE_FLOAT:
      return DoubleText(r->GetFloat(m, f));
    case F::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? "true" : "false";
    case F::CPPTYPE_ENUM:
      return EnumText(r->GetEnum(m, f));
    case F::CPPTYPE_STRING:
      return r->GetString(m, f);
    case F::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

}  // namespace salvo::wire
