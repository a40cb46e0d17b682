// Linked into the harnesses that parse protos: protobuf logs every string field that is not
// UTF-8, and a fuzzer makes millions of them.
#include <string>

#include "google/protobuf/stubs/logging.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}
