// When each message of an open-loop connection is due. A closed loop sends the next message when
// the previous one completes, so a server that slows down slows the sender with it and the
// latency it would have caused is never measured (coordinated omission). An open loop sends on a
// schedule fixed in advance: each message has an intended send time, and latency is measured from
// it, however late the message actually left.
//
//   Schedule s(/*rate_per_sec=*/1000, Arrival::kPoisson, start_ns, /*seed=*/slot);
//   while (s.next_ns() <= now) { backlog.push(s.next_ns()); s.Advance(); }
//
// The rate may change over the run (--stages): a RateProfile ramps it linearly between stages,
// and the schedule spaces arrivals by the profile's cumulative count (a Poisson process of
// varying rate by the time-rescaling theorem: exponential gaps in expected-arrival units).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/string_view.h"

#include "enums/enum_table.h"

namespace salvo::workload {

enum class Arrival { kUniform, kPoisson };

inline constexpr enums::EnumTable<Arrival, 2> kArrivals{
    "arrival", {{{Arrival::kUniform, "uniform"}, {Arrival::kPoisson, "poisson"}}}};

// Messages per second as a function of the time since the start: constant, or linear ramps
// between stages. Immutable; one serves every connection of an agent.
class RateProfile {
 public:
  struct Stage {
    uint64_t duration_ns;
    double rate_per_sec;  // at the end of the stage
  };

  static std::shared_ptr<const RateProfile> Constant(double rate_per_sec);
  // Ramps from 0 at the start to each stage's rate at its end; the last rate holds after.
  static std::shared_ptr<const RateProfile> Stages(const std::vector<Stage>& stages);

  double RateAt(double t_ns) const;
  // Messages expected in [0, t_ns].
  double Cumulative(double t_ns) const;
  // The instant by which `count` messages are expected: the inverse of Cumulative. Infinite
  // when the profile never gets there (its rate ends at 0).
  double TimeFor(double count) const;

 private:
  // Knot i: from t_ns on, the rate starts at rate_per_ns and changes by slope per ns until the
  // next knot; `before` is the count expected by t_ns.
  struct Knot {
    double t_ns;
    double rate_per_ns;
    double slope;
    double before;
  };
  explicit RateProfile(std::vector<Knot> knots) : knots_(std::move(knots)) {}
  const Knot& KnotAt(double t_ns) const;

  std::vector<Knot> knots_;
};

// The seed of an agent's connection `index` (counted over all its workers): the agent's name in
// the high bits, so that the connections of different agents differ too. Without it every
// worker's first connection drew the same arrivals, and a "Poisson" run was several copies of
// one Poisson process, bursts in step.
uint64_t ScheduleSeed(absl::string_view agent, uint32_t index);

class Schedule {
 public:
  // `profile` never 0 everywhere. Uniform: arrivals 1 expected message apart, starting at a
  // phase in [0, 1) that `seed` picks, so that the connections of one worker do not all send at
  // the same instant. Poisson: exponential gaps of mean 1 in expected messages, from `start_ns`.
  Schedule(std::shared_ptr<const RateProfile> profile, Arrival arrival, uint64_t start_ns,
           uint64_t seed);
  // A constant rate, `rate_per_sec` > 0.
  Schedule(double rate_per_sec, Arrival arrival, uint64_t start_ns, uint64_t seed)
      : Schedule(RateProfile::Constant(rate_per_sec), arrival, start_ns, seed) {}

  // The intended send time (CLOCK_MONOTONIC ns) of the next message; UINT64_MAX when the
  // profile's rate has ended at 0.
  uint64_t next_ns() const;
  void Advance();
  // For a sender hopelessly behind: moves past every message due by `now_ns` at once and
  // returns how many there were (the next one included), in O(1). Poisson: the next arrival
  // plus a Poisson count over the rest of the span, then a fresh gap from `now_ns` (the process
  // has no memory).
  uint64_t SkipTo(uint64_t now_ns);

 private:
  double Gap();
  void Place() { next_ = start_ + profile_->TimeFor(position_); }

  std::shared_ptr<const RateProfile> profile_;
  const Arrival arrival_;
  const double start_;
  // 16 bytes of state (a PCG): a Mersenne Twister's 2.5 KB per connection would be most of an
  // open-loop connection's memory.
  absl::InsecureBitGen rng_;
  std::exponential_distribution<double> exponential_{1.0};
  // The next arrival in expected messages since the start, and in double nanoseconds: summing
  // rounded gaps would drift from the rate.
  double position_ = 0;
  double next_ = 0;
};

}  // namespace salvo::workload
