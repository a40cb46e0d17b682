// Helpers for tests that run salvo's programs and read back what they wrote: the JSON report and
// the target's totals, and the reconciliation of an echo run's bytes with the target's own count.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "salvo/v1/report.pb.h"

namespace salvo::testing {

// Parses the JSON file at `path` (a --json report, a target's --json-out totals) into `out`;
// the error names the file and holds what it contained.
absl::Status ReadJsonFile(const std::string& path, google::protobuf::Message* out);

// An echo run drained to its end, checked against the target's own count: no verify errors,
// every byte the load sent was read by the target, everything the target sent back was read by
// the load, all of it in whole `message_size` messages, over `connections` connections.
void ExpectEchoReconciled(const v1::Counters& load, const v1::TargetTotals& target,
                          uint64_t message_size, uint64_t connections);

}  // namespace salvo::testing
