// When each message of an open-loop connection is due. A closed loop sends the next message when
// the previous one completes, so a server that slows down slows the sender with it and the
// latency it would have caused is never measured (coordinated omission). An open loop sends on a
// schedule fixed in advance: each message has an intended send time, and latency is measured from
// it, however late the message actually left.
//
//   Schedule s(/*rate_per_sec=*/1000, Arrival::kPoisson, start_ns, /*seed=*/slot);
//   while (s.next_ns() <= now) { backlog.push(s.next_ns()); s.Advance(); }
#pragma once

#include <cstdint>
#include <random>

#include "absl/random/random.h"

#include "enums/enum_table.h"

namespace salvo::workload {

enum class Arrival { kUniform, kPoisson };

inline constexpr enums::EnumTable<Arrival, 2> kArrivals{
    "arrival", {{{Arrival::kUniform, "uniform"}, {Arrival::kPoisson, "poisson"}}}};

class Schedule {
 public:
  // `rate_per_sec` > 0. Uniform: one message every 1/rate s, starting at a phase in [0, 1/rate)
  // that `seed` picks, so that the connections of one worker do not all send at the same
  // instant. Poisson: exponential gaps of mean 1/rate from `start_ns`.
  Schedule(double rate_per_sec, Arrival arrival, uint64_t start_ns, uint64_t seed);

  // The intended send time (CLOCK_MONOTONIC ns) of the next message.
  uint64_t next_ns() const { return static_cast<uint64_t>(next_); }
  void Advance();
  // For a sender hopelessly behind: moves past every message due by `now_ns` at once and
  // returns how many there were (the next one included), in O(1). Poisson: the next arrival
  // plus a Poisson count over the rest of the span, then a fresh gap from `now_ns` (the process
  // has no memory).
  uint64_t SkipTo(uint64_t now_ns);

 private:
  double Gap();

  const double mean_gap_ns_;
  const Arrival arrival_;
  // 16 bytes of state (a PCG): a Mersenne Twister's 2.5 KB per connection would be most of an
  // open-loop connection's memory.
  absl::InsecureBitGen rng_;
  std::exponential_distribution<double> exponential_{1.0};
  // In double nanoseconds: summing rounded gaps would drift from the rate.
  double next_;
};

}  // namespace salvo::workload
