// The JSON salvo writes for programs: protobuf's JSON printer with the proto field names
// (snake_case) and every field present, zeros included, so readers need no defaults.
#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace salvo::v1 {

std::string ToJson(const google::protobuf::Message& message);

}  // namespace salvo::v1
