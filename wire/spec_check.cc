#include "wire/spec_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "plan/limits.h"
#include "status/status_macros.h"
#include "wire/enums.h"

namespace salvo::wire {
namespace {

absl::Status Invalid(absl::string_view why) { return absl::InvalidArgumentError(why); }

// rr, and connect-rr when it is given a request, send the user's bytes and frame the server's
// responses.
absl::Status CheckFraming(const v1::LoadSpec& load, workload::Kind kind) {
  const bool framed = kind == workload::Kind::kRr ||
                      (kind == workload::Kind::kConnectRr && !load.request().empty());
  if (!framed) {
    if (!load.request().empty() || load.response_bytes() > 0 || !load.response_until().empty()) {
      return Invalid(
          "--request-file, --response-bytes and --response-until are for --workload rr and "
          "connect-rr");
    }
    return absl::OkStatus();
  }
  if (load.request().empty()) {
    return Invalid("--workload rr needs --request-file (the request's bytes)");
  }
  if (load.request().size() > plan::kMaxRequestBytes) {
    return Invalid(absl::StrCat("--request-file holds ", load.request().size(),
                                " bytes; a request may be at most 1 MiB"));
  }
  if ((load.response_bytes() > 0) == !load.response_until().empty()) {
    return Invalid(
        "--request-file needs exactly one of --response-bytes N and --response-until STRING");
  }
  if (load.verify()) {
    return Invalid(
        "--verify checks salvo's own pattern: responses to --request-file are the server's");
  }
  return absl::OkStatus();
}

absl::Status CheckPacing(const v1::LoadSpec& load, workload::Kind kind) {
  if (load.rate() != 0 && load.stages_size() > 0) {
    return Invalid("--rate and --stages both set the rate: give one");
  }
  if (load.rate() != 0) SALVO_RETURN_IF_ERROR(plan::CheckRate(load.rate(), "--rate"));
  if (load.stages_size() > 0) {
    if (static_cast<size_t>(load.stages_size()) > plan::kMaxStages) {
      return Invalid(
          absl::StrCat("--stages: at most ", plan::kMaxStages, ", got ", load.stages_size()));
    }
    bool any = false;
    for (const v1::Stage& s : load.stages()) {
      SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(s.duration_ms(), "a stage's duration"));
      SALVO_RETURN_IF_ERROR(plan::CheckStageRate(s.rate(), "--stages: a rate"));
      any = any || s.rate() > 0;
    }
    if (!any) return Invalid("--stages: every rate is 0, nothing would be sent");
  }
  if ((load.rate() != 0 || load.stages_size() > 0) && kind == workload::Kind::kStreamIn) {
    return Invalid(
        "--rate and --stages pace what the agents send: stream-in sends nothing (use echo or "
        "stream-out)");
  }
  if (load.connect_rate() != 0) {
    SALVO_RETURN_IF_ERROR(plan::CheckRate(load.connect_rate(), "--connect-rate", "connections/s"));
  }
  if (load.timer_spin_us() > plan::kMaxTimerSpinUs) {
    return Invalid(absl::StrCat("--timer-spin must be at most ", plan::kMaxTimerSpinUs, "us, got ",
                                load.timer_spin_us(), "us"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLoadSpec(const v1::LoadSpec& load) {
  SALVO_ASSIGN_OR_RETURN(workload::Kind kind, FromProto(load.workload()));
  if (load.message_size() == 0 || load.message_size() > plan::kMaxMessageSize) {
    return Invalid(absl::StrCat("--size (the message size) must be 1 byte to 1 GiB, got ",
                                load.message_size()));
  }
  if (load.pipeline() > plan::kMaxPipeline) {
    return Invalid(
        absl::StrCat("--pipeline must be at most ", plan::kMaxPipeline, ", got ", load.pipeline()));
  }
  if (kind == workload::Kind::kConnectRr && load.pipeline() > 1) {
    return Invalid("--pipeline: connect-rr sends one request per connection");
  }
  if (load.close() != v1::CLOSE_MODE_UNSPECIFIED) {
    SALVO_RETURN_IF_ERROR(FromProto(load.close()).status());
    if (kind != workload::Kind::kConnectRr && load.close() != v1::CLOSE_MODE_FIN) {
      return Invalid("--close is for --workload connect-rr");
    }
  }
  SALVO_RETURN_IF_ERROR(CheckFraming(load, kind));
  if (load.sndbuf() > plan::kMaxSocketBuffer || load.rcvbuf() > plan::kMaxSocketBuffer) {
    return Invalid("--sndbuf and --rcvbuf must be at most 1g");
  }
  for (const auto& [ms, name] :
       {std::pair{load.duration_ms(), "duration"}, std::pair{load.warmup_ms(), "warm-up"},
        std::pair{load.interval_ms(), "interval"},
        std::pair{load.connect_timeout_ms(), "connect timeout"},
        std::pair{load.drain_ms(), "drain"}}) {
    SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(ms, name));
  }
  return CheckPacing(load, kind);
}

}  // namespace salvo::wire
