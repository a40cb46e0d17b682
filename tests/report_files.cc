#include "tests/report_files.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace salvo::testing {

absl::Status ReadJsonFile(const std::string& path, google::protobuf::Message* out) {
  const std::string text = ReadFile(path);
  const auto parsed = google::protobuf::util::JsonStringToMessage(text, out);
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": ", parsed.ToString(), "; it holds: ", text));
}

void ExpectEchoReconciled(const v1::Counters& load, const v1::TargetTotals& target,
                          uint64_t message_size, uint64_t connections) {
  EXPECT_EQ(load.verify_errors(), 0u);
  EXPECT_GT(load.messages(), 0u);
  EXPECT_EQ(target.counters().bytes_received(), load.bytes_sent());
  EXPECT_EQ(target.counters().bytes_sent(), load.bytes_received());
  EXPECT_EQ(load.bytes_sent(), load.bytes_received());
  EXPECT_EQ(load.bytes_sent(), load.messages() * message_size);
  EXPECT_EQ(target.counters().connections_established(), connections);
}

}  // namespace salvo::testing
