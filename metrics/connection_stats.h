// What salvo knows about each connection beyond the totals: the bytes it delivered and what the
// kernel says about it (TCP_INFO), and the mergeable summaries built from them. These are what
// find the origin notes' starved receiver (point 3): a receive loop that serves 64 of 600
// sockets leaves the totals looking busy while 536 connections deliver nothing.
//
//   FairnessStats f;
//   for (uint64_t bytes : delivered_per_connection) f.Add(bytes);
//   f.Jain();                      // 1.0 when every connection delivered the same
//   f.Starved();                   // connections that delivered nothing
//   f.Merge(other_agent);          // exact: a histogram and two sums
#pragma once

#include <atomic>
#include <cstdint>

#include "metrics/histogram.h"

namespace salvo::metrics {

// One connection as last sampled by its worker (at an interval boundary or the end of the run).
// Cumulative fields only grow; the others are the state at the sample.
struct ConnectionSample {
  uint64_t delivered = 0;          // cumulative bytes delivered (see Counter::kBytesDelivered)
  uint64_t busy_us = 0;            // cumulative tcpi_busy_time
  uint64_t rwnd_limited_us = 0;    // cumulative tcpi_rwnd_limited
  uint64_t sndbuf_limited_us = 0;  // cumulative tcpi_sndbuf_limited
  uint32_t retransmits = 0;        // cumulative tcpi_total_retrans
  uint32_t rtt_us = 0;
  uint32_t cwnd = 0;
  uint32_t last_ack_ms = 0;  // since the last ACK arrived
  uint16_t local_port = 0;
  bool tcp_info = false;     // the TCP fields above were read at this sample
  bool zero_window = false;  // the peer advertised a zero window
  bool open = false;
  // Open loop: nothing was due, queued or in flight at the sample. Such a connection that
  // delivered nothing in a span had nothing to deliver: it is idle, not starved (a rate of 20
  // msg/s over 100 connections leaves most of them idle in any one second).
  bool idle = false;

  // What changed from `before` to this sample: cumulative fields as differences, the rest as
  // they are now.
  ConnectionSample Since(const ConnectionSample& before) const;
};

// The same, written by one worker and read by the reporting thread: relaxed atomics, one writer.
class AtomicConnectionSample {
 public:
  void Store(const ConnectionSample& s);
  ConnectionSample Load() const;

 private:
  std::atomic<uint64_t> delivered_{0}, busy_us_{0}, rwnd_limited_us_{0}, sndbuf_limited_us_{0};
  std::atomic<uint32_t> retransmits_{0}, rtt_us_{0}, cwnd_{0}, last_ack_ms_{0};
  std::atomic<uint32_t> port_and_flags_{0};
};

// How evenly a span's bytes were spread over connections; mergeable across workers and agents.
class FairnessStats {
 public:
  void Add(uint64_t bytes);
  // A connection left out of the span: its worker did not sample it (see
  // StatsSnapshot::unsampled). It is neither starved nor served.
  void AddUnsampled() { ++unsampled_; }
  // A connection that had nothing to deliver in the span (ConnectionSample::idle): neither
  // starved nor served.
  void AddIdle() { ++idle_; }
  void Merge(const FairnessStats& other);

  // The connections sampled in the span, which every figure below describes.
  uint32_t Connections() const { return static_cast<uint32_t>(per_connection_.count()); }
  uint32_t Unsampled() const { return unsampled_; }
  uint32_t Idle() const { return idle_; }
  // Connections that delivered nothing.
  uint32_t Starved() const { return static_cast<uint32_t>(per_connection_.bucket_count(0)); }
  // Jain's fairness index, (sum x)^2 / (n * sum x^2): 1 when all are equal, 1/n when one
  // connection carried everything; 0 when nothing moved at all.
  double Jain() const;
  uint64_t Percentile(double p) const;
  uint64_t Min() const { return per_connection_.min(); }
  uint64_t Max() const { return per_connection_.max(); }
  // The fewest connections that together carried `share` (0..1] of the bytes, counted from the
  // busiest down (to the histogram's resolution).
  uint32_t ConnectionsCarrying(double share) const;
  // The share (0..1) of the bytes that the `k` busiest connections carried.
  double ShareOfTop(uint32_t k) const;

  const Histogram& per_connection() const { return per_connection_; }
  double sum_squares() const { return sum_squares_; }
  static FairnessStats FromParts(Histogram per_connection, double sum_squares, uint32_t unsampled,
                                 uint32_t idle);

 private:
  Histogram per_connection_;
  double sum_squares_ = 0;
  uint32_t unsampled_ = 0;
  uint32_t idle_ = 0;
};

// What TCP_INFO said about the sampled connections in a span; mergeable.
struct TcpHealthStats {
  uint32_t sampled = 0;
  uint32_t zero_window = 0;
  // Of those, the connections that also delivered nothing in the span: closed out, not merely
  // momentarily full.
  uint32_t starved_zero_window = 0;
  uint64_t retransmits = 0;
  uint64_t busy_us = 0;
  uint64_t rwnd_limited_us = 0;
  uint64_t sndbuf_limited_us = 0;
  Histogram rtt_us;
  Histogram cwnd;

  // One connection's change over the span (ConnectionSample::Since).
  void Add(const ConnectionSample& delta);
  void Merge(const TcpHealthStats& other);
  // Shares of the connections' busy time limited by the peer's receive window, and by our own
  // send buffer.
  double RwndLimitedShare() const;
  double SndbufLimitedShare() const;
};

}  // namespace salvo::metrics
