#include "wire/protocol.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace salvo::wire {

absl::Status CheckProtocol(uint32_t major, const std::string& agent) {
  if (major == kProtocolMajor) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "agent ", agent, " speaks control protocol ", major == 0 ? 1 : major, ", this salvo speaks ",
      kProtocolMajor, ": run the same salvo release on the controller and its agents"));
}

}  // namespace salvo::wire
