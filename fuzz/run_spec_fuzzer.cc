// What an agent accepts from the wire: any RunSpec that passes PrepareRun is one it can follow
// within its limits, and aimed only where it is allowed to send.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "net/cidr.h"
#include "plan/limits.h"
#include "salvo/v1/agent.pb.h"
#include "worker/agent_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salvo;
  v1::RunSpec spec;
  if (!spec.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const std::vector<net::Cidr> allowed = net::LoopbackRanges();
  absl::StatusOr<worker::LoadPlan> plan =
      worker::PrepareRun(spec, allowed, net::HostLookup::kNumericOnly);
  if (!plan.ok()) {
    SALVO_FUZZ_CHECK(!plan.status().message().empty());
    return 0;
  }
  SALVO_FUZZ_CHECK(net::IsLoopback(plan->target));
  SALVO_FUZZ_CHECK(plan->connections >= 1);
  SALVO_FUZZ_CHECK(plan->threads >= 1 && plan->threads <= plan->connections);
  SALVO_FUZZ_CHECK(plan->threads <= plan::MaxThreads());
  SALVO_FUZZ_CHECK(plan->workload.message_size >= 1 &&
                   plan->workload.message_size <= plan::kMaxMessageSize);
  SALVO_FUZZ_CHECK(plan->connect_timeout >= absl::ZeroDuration() &&
                   plan->connect_timeout <= plan::kMaxDuration);
  SALVO_FUZZ_CHECK(plan->drain_timeout >= absl::ZeroDuration() &&
                   plan->drain_timeout <= plan::kMaxDuration);
  SALVO_FUZZ_CHECK(plan->tcp_info_stride >= 1);
  return 0;
}
