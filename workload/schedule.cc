#include "workload/schedule.h"

#include <cmath>

namespace salvo::workload {
namespace {

// Deterministic per connection, so that a run's arrivals can be reproduced.
std::seed_seq SeedFor(uint64_t seed) {
  return std::seed_seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), 0x5a17u};
}

}  // namespace

Schedule::Schedule(double rate_per_sec, Arrival arrival, uint64_t start_ns, uint64_t seed)
    : mean_gap_ns_(1e9 / rate_per_sec), arrival_(arrival), rng_(SeedFor(seed)) {
  if (arrival_ == Arrival::kUniform) {
    // A phase from the golden-ratio sequence spreads any number of connections evenly.
    const double phase = static_cast<double>(seed) * 0.6180339887498949;
    next_ = static_cast<double>(start_ns) + (phase - static_cast<uint64_t>(phase)) * mean_gap_ns_;
  } else {
    next_ = static_cast<double>(start_ns) + Gap();
  }
}

double Schedule::Gap() {
  return arrival_ == Arrival::kUniform ? mean_gap_ns_ : exponential_(rng_) * mean_gap_ns_;
}

void Schedule::Advance() { next_ += Gap(); }

uint64_t Schedule::SkipTo(uint64_t now_ns) {
  const double now = static_cast<double>(now_ns);
  if (next_ > now) return 0;
  if (arrival_ == Arrival::kUniform) {
    const double k = std::floor((now - next_) / mean_gap_ns_) + 1;
    next_ += k * mean_gap_ns_;
    return static_cast<uint64_t>(k);
  }
  std::poisson_distribution<uint64_t> more((now - next_) / mean_gap_ns_);
  const uint64_t k = 1 + more(rng_);
  next_ = now + Gap();
  return k;
}

}  // namespace salvo::workload
