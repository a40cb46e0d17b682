#include "workload/schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace salvo::workload {
namespace {

// Deterministic per connection, so that a run's arrivals can be reproduced.
std::seed_seq SeedFor(uint64_t seed) {
  return std::seed_seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), 0x5a17u};
}

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

std::shared_ptr<const RateProfile> RateProfile::Constant(double rate_per_sec) {
  return std::shared_ptr<const RateProfile>(new RateProfile({Knot{0, rate_per_sec / 1e9, 0, 0}}));
}

std::shared_ptr<const RateProfile> RateProfile::Stages(const std::vector<Stage>& stages) {
  std::vector<Knot> knots;
  double t = 0, rate = 0, before = 0;
  for (const Stage& s : stages) {
    if (s.duration_ns == 0) {
      rate = s.rate_per_sec / 1e9;  // a step
      continue;
    }
    const double d = static_cast<double>(s.duration_ns);
    const double end = s.rate_per_sec / 1e9;
    const double slope = (end - rate) / d;
    knots.push_back(Knot{t, rate, slope, before});
    before += (rate + end) / 2 * d;
    t += d;
    rate = end;
  }
  knots.push_back(Knot{t, rate, 0, before});
  return std::shared_ptr<const RateProfile>(new RateProfile(std::move(knots)));
}

const RateProfile::Knot& RateProfile::KnotAt(double t_ns) const {
  // The last knot at or before t: few knots, so a linear scan from the back.
  for (size_t i = knots_.size(); i-- > 1;) {
    if (knots_[i].t_ns <= t_ns) return knots_[i];
  }
  return knots_[0];
}

double RateProfile::RateAt(double t_ns) const {
  const Knot& k = KnotAt(std::max(t_ns, 0.0));
  return (k.rate_per_ns + k.slope * (std::max(t_ns, 0.0) - k.t_ns)) * 1e9;
}

double RateProfile::Cumulative(double t_ns) const {
  if (t_ns <= 0) return 0;
  const Knot& k = KnotAt(t_ns);
  const double x = t_ns - k.t_ns;
  return k.before + k.rate_per_ns * x + 0.5 * k.slope * x * x;
}

double RateProfile::TimeFor(double count) const {
  if (count <= 0) return 0;
  size_t i = 0;
  while (i + 1 < knots_.size() && knots_[i + 1].before < count) ++i;
  const Knot& k = knots_[i];
  const double need = count - k.before;
  // Solves rate * x + slope * x^2 / 2 = need in the form that stays exact when the slope is 0
  // and when the rate is 0.
  const double root = std::sqrt(std::max(0.0, k.rate_per_ns * k.rate_per_ns + 2 * k.slope * need));
  const double denominator = k.rate_per_ns + root;
  if (!(denominator > 0)) return kInfinity;
  return k.t_ns + 2 * need / denominator;
}

uint64_t ScheduleSeed(absl::string_view agent, uint32_t index) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: stable across processes and builds
  for (char c : agent) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return (hash << 32) | index;
}

Schedule::Schedule(std::shared_ptr<const RateProfile> profile, Arrival arrival, uint64_t start_ns,
                   uint64_t seed)
    : profile_(std::move(profile)),
      arrival_(arrival),
      start_(static_cast<double>(start_ns)),
      rng_(SeedFor(seed)) {
  if (arrival_ == Arrival::kUniform) {
    // A phase from the golden-ratio sequence spreads any number of connections evenly: by the
    // connection's index, offset by its agent (small enough that a double keeps the fraction).
    const uint64_t spread = (seed & 0xffffffffu) + (seed >> 44);
    const double phase = static_cast<double>(spread) * 0.6180339887498949;
    position_ = phase - std::floor(phase);
  } else {
    position_ = Gap();
  }
  Place();
}

uint64_t Schedule::next_ns() const {
  // Past 2^63 ns (292 years) is never.
  return next_ < 9.2e18 ? static_cast<uint64_t>(next_) : UINT64_MAX;
}

double Schedule::Gap() { return arrival_ == Arrival::kUniform ? 1.0 : exponential_(rng_); }

void Schedule::Advance() {
  position_ += Gap();
  Place();
}

uint64_t Schedule::SkipTo(uint64_t now_ns) {
  const double now = static_cast<double>(now_ns);
  if (next_ > now) return 0;
  const double due = profile_->Cumulative(now - start_);
  if (arrival_ == Arrival::kUniform) {
    const double k = std::floor(due - position_) + 1;
    position_ += k;
    Place();
    return static_cast<uint64_t>(k);
  }
  std::poisson_distribution<uint64_t> more(std::max(0.0, due - position_));
  const uint64_t k = 1 + more(rng_);
  position_ = due + Gap();
  Place();
  return k;
}

}  // namespace salvo::workload
