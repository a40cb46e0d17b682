#include "proto/json.h"

#include "google/protobuf/util/json_util.h"

namespace salvo::v1 {

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  // Printing a well-formed message cannot fail; the status only reports unresolvable Any types.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace salvo::v1
