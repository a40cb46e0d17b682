#include "metrics/connection_stats.h"

#include <algorithm>
#include <cmath>

namespace salvo::metrics {
namespace {

uint64_t Grew(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

}  // namespace

ConnectionSample ConnectionSample::Since(const ConnectionSample& before) const {
  ConnectionSample d = *this;
  d.delivered = Grew(delivered, before.delivered);
  d.busy_us = Grew(busy_us, before.busy_us);
  d.rwnd_limited_us = Grew(rwnd_limited_us, before.rwnd_limited_us);
  d.sndbuf_limited_us = Grew(sndbuf_limited_us, before.sndbuf_limited_us);
  d.retransmits = static_cast<uint32_t>(Grew(retransmits, before.retransmits));
  return d;
}

void AtomicConnectionSample::Store(const ConnectionSample& s) {
  constexpr auto r = std::memory_order_relaxed;
  delivered_.store(s.delivered, r);
  busy_us_.store(s.busy_us, r);
  rwnd_limited_us_.store(s.rwnd_limited_us, r);
  sndbuf_limited_us_.store(s.sndbuf_limited_us, r);
  retransmits_.store(s.retransmits, r);
  rtt_us_.store(s.rtt_us, r);
  cwnd_.store(s.cwnd, r);
  last_ack_ms_.store(s.last_ack_ms, r);
  port_and_flags_.store(static_cast<uint32_t>(s.local_port) | (s.tcp_info ? 1u << 16 : 0) |
                            (s.zero_window ? 1u << 17 : 0) | (s.open ? 1u << 18 : 0) |
                            (s.idle ? 1u << 19 : 0),
                        r);
}

ConnectionSample AtomicConnectionSample::Load() const {
  constexpr auto r = std::memory_order_relaxed;
  ConnectionSample s;
  s.delivered = delivered_.load(r);
  s.busy_us = busy_us_.load(r);
  s.rwnd_limited_us = rwnd_limited_us_.load(r);
  s.sndbuf_limited_us = sndbuf_limited_us_.load(r);
  s.retransmits = retransmits_.load(r);
  s.rtt_us = rtt_us_.load(r);
  s.cwnd = cwnd_.load(r);
  s.last_ack_ms = last_ack_ms_.load(r);
  const uint32_t pf = port_and_flags_.load(r);
  s.local_port = static_cast<uint16_t>(pf & 0xffff);
  s.tcp_info = pf & (1u << 16);
  s.zero_window = pf & (1u << 17);
  s.open = pf & (1u << 18);
  s.idle = pf & (1u << 19);
  return s;
}

void FairnessStats::Add(uint64_t bytes) {
  per_connection_.Record(bytes);
  sum_squares_ += static_cast<double>(bytes) * static_cast<double>(bytes);
}

void FairnessStats::Merge(const FairnessStats& other) {
  per_connection_.Merge(other.per_connection_);
  sum_squares_ += other.sum_squares_;
  unsampled_ += other.unsampled_;
  idle_ += other.idle_;
}

FairnessStats FairnessStats::FromParts(Histogram per_connection, double sum_squares,
                                       uint32_t unsampled, uint32_t idle) {
  FairnessStats f;
  f.per_connection_ = std::move(per_connection);
  f.sum_squares_ = sum_squares;
  f.unsampled_ = unsampled;
  f.idle_ = idle;
  return f;
}

double FairnessStats::Jain() const {
  const double n = per_connection_.count();
  const double sum = per_connection_.sum();
  if (n == 0 || sum_squares_ <= 0) return 0;
  return std::min(1.0, sum * sum / (n * sum_squares_));
}

uint64_t FairnessStats::Percentile(double p) const {
  return static_cast<uint64_t>(std::llround(per_connection_.Percentile(p)));
}

uint32_t FairnessStats::ConnectionsCarrying(double share) const {
  const double total = per_connection_.sum();
  if (total <= 0) return 0;
  const double wanted = std::clamp(share, 0.0, 1.0) * total;
  double carried = 0;
  uint64_t connections = 0;
  for (uint32_t b = HistogramLayout::kNumBuckets; b-- > 0;) {
    const uint64_t n = per_connection_.bucket_count(b);
    if (n == 0) continue;
    const double each =
        std::clamp(HistogramLayout::Representative(b), static_cast<double>(per_connection_.min()),
                   static_cast<double>(per_connection_.max()));
    if (each <= 0) break;
    // Just enough of this bucket's connections to reach the share.
    const double needed = std::ceil((wanted - carried) / each);
    if (needed <= static_cast<double>(n)) return static_cast<uint32_t>(connections + needed);
    carried += each * static_cast<double>(n);
    connections += n;
  }
  return static_cast<uint32_t>(connections);
}

double FairnessStats::ShareOfTop(uint32_t k) const {
  const double total = per_connection_.sum();
  if (total <= 0 || k == 0) return 0;
  double carried = 0;
  uint64_t left = k;
  for (uint32_t b = HistogramLayout::kNumBuckets; b-- > 0 && left > 0;) {
    const uint64_t n = std::min<uint64_t>(per_connection_.bucket_count(b), left);
    if (n == 0) continue;
    const double each =
        std::clamp(HistogramLayout::Representative(b), static_cast<double>(per_connection_.min()),
                   static_cast<double>(per_connection_.max()));
    carried += each * static_cast<double>(n);
    left -= n;
  }
  return std::min(1.0, carried / total);
}

void TcpHealthStats::Add(const ConnectionSample& d) {
  if (!d.tcp_info) return;
  ++sampled;
  zero_window += d.zero_window;
  starved_zero_window += d.zero_window && d.delivered == 0;
  retransmits += d.retransmits;
  busy_us += d.busy_us;
  rwnd_limited_us += d.rwnd_limited_us;
  sndbuf_limited_us += d.sndbuf_limited_us;
  if (d.rtt_us > 0) rtt_us.Record(d.rtt_us);
  if (d.cwnd > 0) cwnd.Record(d.cwnd);
}

void TcpHealthStats::Merge(const TcpHealthStats& o) {
  sampled += o.sampled;
  zero_window += o.zero_window;
  starved_zero_window += o.starved_zero_window;
  retransmits += o.retransmits;
  busy_us += o.busy_us;
  rwnd_limited_us += o.rwnd_limited_us;
  sndbuf_limited_us += o.sndbuf_limited_us;
  rtt_us.Merge(o.rtt_us);
  cwnd.Merge(o.cwnd);
}

double TcpHealthStats::RwndLimitedShare() const {
  return busy_us == 0 ? 0 : std::min(1.0, static_cast<double>(rwnd_limited_us) / busy_us);
}

double TcpHealthStats::SndbufLimitedShare() const {
  return busy_us == 0 ? 0 : std::min(1.0, static_cast<double>(sndbuf_limited_us) / busy_us);
}

}  // namespace salvo::metrics
