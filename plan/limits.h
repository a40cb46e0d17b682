// The limits salvo enforces on what it is asked, stated once so that controller, agent and
// target refuse the same things with the same words (docs/user-guide.md, "Limits").
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace salvo::plan {

// One message, and salvo-target's source message: each worker holds a pattern buffer this big.
inline constexpr uint64_t kMaxMessageSize = uint64_t{1} << 30;
// Connections in one run, over all agents (--connections).
inline constexpr uint32_t kMaxConnections = 10'000'000;
// Echo and rr messages in flight per connection (--pipeline).
inline constexpr uint32_t kMaxPipeline = 1 << 16;
// SO_SNDBUF / SO_RCVBUF a run may ask for (--sndbuf, --rcvbuf).
inline constexpr uint64_t kMaxSocketBuffer = uint64_t{1} << 30;
// Worker threads per agent or target: at most this many per core (and never more than the
// connections). More threads than cores only adds switching; each io_uring worker holds its
// own ring and buffers.
inline constexpr uint32_t kMaxThreadsPerCore = 4;
inline uint32_t MaxThreads() {
  return kMaxThreadsPerCore * std::max(1u, std::thread::hardware_concurrency());
}
// The longest measured time, warm-up or interval.
inline constexpr absl::Duration kMaxDuration = absl::Hours(24 * 7);
// Agent weights: their ratios split the connections, so larger numbers add nothing but
// overflow.
inline constexpr double kMaxWeight = 1e6;

// Open loop: messages per second a run (and so any one agent) may be asked to schedule.
inline constexpr double kMaxRate = 1e9;
// Open loop: the longest a worker may poll without sleeping before each intended send time
// (--timer-spin): beyond it, spinning costs more CPU than any wake-up is late.
inline constexpr uint32_t kMaxTimerSpinUs = 1000;
// rr: the largest request, sent to every agent in the run spec.
inline constexpr uint64_t kMaxRequestBytes = uint64_t{1} << 20;

// Source addresses one agent may be given (--source-ips): each brings its own ~28,000 ports, so
// 4,096 of them are far more than any host holds connections for.
inline constexpr size_t kMaxSourceIps = 4096;

// An open-loop rate: more than 0 (NaN included in what is refused) and at most kMaxRate.
// `unit`: what the rate counts per second ("messages/s", "connections/s").
inline absl::Status CheckRate(double rate, absl::string_view name,
                              absl::string_view unit = "messages/s") {
  if (!(rate > 0) || !(rate <= kMaxRate)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be more than 0 and at most 1e9 ", unit, ", got ", rate));
  }
  return absl::OkStatus();
}

// A stage's rate (--stages) may also be 0: a ramp down to nothing, or a pause.
inline absl::Status CheckStageRate(double rate, absl::string_view name) {
  if (rate == 0) return absl::OkStatus();
  return CheckRate(rate, name);
}

// Stages one run may have.
inline constexpr size_t kMaxStages = 1000;

// A time carried on the wire in milliseconds: at most kMaxDuration, whoever sent it.
inline absl::Status CheckWireMillis(uint64_t ms, absl::string_view name) {
  if (ms > static_cast<uint64_t>(absl::ToInt64Milliseconds(kMaxDuration))) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be at most 7 days, got ", ms, " ms"));
  }
  return absl::OkStatus();
}

}  // namespace salvo::plan
