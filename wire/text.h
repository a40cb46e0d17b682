// A field of a salvo message as the text a person or a spreadsheet reads: numbers as numbers,
// enums by the name their C++ table gives them ("uring-zc", not "SEND_MODE_URING_ZC").
#pragma once

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace salvo::wire {

// `field` must be a singular scalar or enum field of `message`.
std::string FieldText(const google::protobuf::Message& message,
                      const google::protobuf::FieldDescriptor* field);

// The singular scalar and enum fields of `d`, in field-number order: a message's CSV columns.
std::vector<const google::protobuf::FieldDescriptor*> ScalarFields(
    const google::protobuf::Descriptor* d);

// The shortest text that reads back as the same double.
std::string DoubleText(double value);

// An enum value of any salvo.v1 enum by its table name; the proto name for an unknown enum.
std::string EnumText(const google::protobuf::EnumValueDescriptor* value);

}  // namespace salvo::wire
