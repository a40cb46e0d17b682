// `salvo deploy --hosts FILE`: every host that parses is safe to hand to ssh and prints back
// into a line that parses to the same host.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "deploy/deploy.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salvo::deploy;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<DeployHost>> hosts = ParseHosts(text, "fuzz");
  if (!hosts.ok()) return 0;
  SALVO_FUZZ_CHECK(!hosts->empty());
  for (const DeployHost& h : *hosts) {
    SALVO_FUZZ_CHECK(!h.host.empty() && h.host.front() != '-');
    SALVO_FUZZ_CHECK(h.user.empty() || h.user.front() != '-');
    SALVO_FUZZ_CHECK(
        std::none_of(h.host.begin(), h.host.end(), [](char c) { return absl::ascii_isspace(c); }));
    SALVO_FUZZ_CHECK(h.ssh_port != 0);
    absl::StatusOr<std::vector<DeployHost>> again = ParseHosts(h.Display(), "fuzz");
    SALVO_FUZZ_CHECK(again.ok() && again->size() == 1);
    SALVO_FUZZ_CHECK((*again)[0].user == h.user && (*again)[0].host == h.host &&
                     (*again)[0].ssh_port == h.ssh_port);
  }
  return 0;
}
