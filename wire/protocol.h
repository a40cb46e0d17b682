// The control-plane protocol version an agent states in its Info (salvo.v1.InfoResponse).
// Bump the major version when a message changes incompatibly (a field renumbered or retyped),
// the minor when fields are only added.
#pragma once

#include <cstdint>

#include <string>

#include "absl/status/status.h"

namespace salvo::wire {

// 5: bytes_delivered is attributed to the window by stream offset, and the delivered rate
// divides the new bytes_delivered_in_span (an agent of 4 would report that rate as 0).
// 4: intervals carry their own length and rates (Interval.seconds, Interval.rates), which the
// controller reads instead of working them out. 3: see git history.
// 2: figures declared once (Totals embeds Counters and Rates, timings keyed by enum), typed
// enums for engine, send mode, workload, loss policy and status. 1 (reported as 0): salvo 0.1.
inline constexpr uint32_t kProtocolMajor = 5;
inline constexpr uint32_t kProtocolMinor = 0;

// OK when an agent speaking `major` can be driven by this controller; otherwise one line that
// names both versions.
absl::Status CheckProtocol(uint32_t major, const std::string& agent);

}  // namespace salvo::wire
