// Every figure salvo reports, declared once.
//
// A counter is one line of SALVO_COUNTERS; a timing (a histogram of nanoseconds) one line of
// SALVO_TIMINGS; a rate one line of SALVO_RATES. The thread-local stats, the merge, the proto
// conversion (wire/), the human tables, the CSV and the JSON all iterate over these tables, so
// a new figure needs its line here, the field of the same name in proto/salvo/v1/report.proto
// (`Counters`, `Rates` or the `Timing` enum; a test fails when they disagree) and the code that
// increments it. Nothing else lists figures.
//
//   CounterValues v = snapshot.counters;
//   v[Counter::kBytesSent];                        // indexed by the enum
//   RateValues r = ComputeRates(v, seconds);       // the one place a rate is computed
//   for (const FigureInfo& f : kCounterInfo) ...   // name, unit and meaning of each
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "enums/enum_table.h"

namespace salvo::metrics {

// What a figure counts, so a reader never has to guess.
enum class Unit {
  kConnections,
  kCalls,  // system calls, or io_uring completions where the engine is io_uring
  kBytes,
  kMessages,
  kNotifications,
  kNanoseconds,
  kPerSecond,
  kMegabytesPerSecond,  // decimal: 10^6 bytes per second
  kErrors,              // failures of one kind, each counted once
};

// X(enum, proto_field_name, unit, meaning)
#define SALVO_COUNTERS(X)                                                                         \
  X(kConnectionsEstablished, connections_established, kConnections,                               \
    "connections whose handshake completed: the agent's connects, the target's accepts")          \
  X(kConnectErrors, connect_errors, kErrors,                                                      \
    "connects that failed or timed out (the target: accepts that failed)")                        \
  X(kClosedByPeer, closed_by_peer, kConnections,                                                  \
    "connections the peer closed (a read returned end of stream)")                                \
  X(kSendCalls, send_calls, kCalls,                                                               \
    "sends that moved bytes: send() returns, or send completions (CQEs) of io_uring sends that "  \
    "waited for room and of uring-zc")                                                            \
  X(kRecvCalls, recv_calls, kCalls,                                                               \
    "receives that delivered bytes: recv() returns on epoll, receive completions on io_uring")    \
  X(kBytesSent, bytes_sent, kBytes, "bytes the kernel took from our sends")                       \
  X(kBytesReceived, bytes_received, kBytes, "bytes read from the kernel")                         \
  X(kMessages, messages, kMessages,                                                               \
    "echo: round trips completed; stream-out: messages fully handed to the kernel; "              \
    "stream-in: message-sized units received")                                                    \
  X(kVerifyErrors, verify_errors, kErrors,                                                        \
    "received bytes that differ from the sent pattern (--verify)")                                \
  X(kSendErrors, send_errors, kErrors, "sends that failed with an error other than EAGAIN")       \
  X(kRecvErrors, recv_errors, kErrors, "receives that failed with an error other than EAGAIN")    \
  X(kSendWouldBlock, send_would_block, kCalls,                                                    \
    "sends that found the socket full (EAGAIN): not completions, shown to explain them")          \
  X(kRecvWouldBlock, recv_would_block, kCalls,                                                    \
    "receives that found nothing (EAGAIN on epoll, an empty buffer ring on io_uring)")            \
  X(kZcSends, zc_sends, kNotifications, "zero-copy sends whose buffer-free notification arrived") \
  X(kZcCopied, zc_copied, kNotifications,                                                         \
    "zero-copy sends the kernel copied anyway (SO_EE_CODE_ZEROCOPY_COPIED, "                      \
    "IORING_NOTIF_USAGE_ZC_COPIED): over loopback and veth, all of them")                         \
  X(kSendNoBufs, send_nobufs, kCalls,                                                             \
    "MSG_ZEROCOPY sends refused with ENOBUFS (optmem full of pending notifications)")             \
  X(kBytesDelivered, bytes_delivered, kBytes,                                                     \
    "bytes of the window that reached the peer, by stream offset: stream-out, bytes sent in "     \
    "the window and acknowledged by its TCP (tcpi_bytes_acked); echo, bytes sent in the window "  \
    "and echoed back; stream-in and rr, bytes read in the window. Sampled at each boundary")      \
  X(kBytesUndelivered, bytes_undelivered, kBytes,                                                 \
    "bytes_sent minus bytes_delivered: stream-out, taken by the kernel in the window and not "    \
    "acknowledged when the drain ended; echo, not echoed back by then")                           \
  X(kConnectionsHoldingData, connections_holding_data, kConnections,                              \
    "connections with data in flight when the drain ended: stream-out, unacknowledged bytes or "  \
    "a send in progress; echo and rr, a request awaiting its response")                           \
  X(kAcceptsRefused, accepts_refused, kConnections,                                               \
    "incoming connections closed unserved because the process was out of file descriptors")       \
  X(kMessagesDue, messages_due, kMessages,                                                        \
    "open loop (--rate): messages whose intended send time came, sent or not")                    \
  X(kPipelineFull, pipeline_full, kMessages,                                                      \
    "open loop: messages that came due while their connection could not take them (every echo "   \
    "pipeline slot busy, or a stream-out send waiting for room in the socket)")                   \
  X(kConnectRefused, connect_refused, kErrors,                                                    \
    "connects the target refused (ECONNREFUSED, a reset answering the SYN); also in "             \
    "connect_errors")                                                                             \
  X(kConnectNoPort, connect_no_port, kErrors,                                                     \
    "connects that found no free local port (EADDRNOTAVAIL: ip_local_port_range used up, "        \
    "TIME_WAIT included); also in connect_errors")                                                \
  X(kRecvNoBuffer, recv_no_buffer, kCalls,                                                        \
    "io_uring receives the kernel ended because its provided-buffer ring was empty (re-armed; "   \
    "the ring grows)")                                                                            \
  X(kBytesDeliveredInSpan, bytes_delivered_in_span, kBytes,                                       \
    "of bytes_delivered, what the peer had by the end of the measured span (the drain's "         \
    "acknowledgements excluded): the delivered rate divides this by the span's seconds")          \
  X(kPeerResets, peer_resets, kConnections,                                                       \
    "established connections the peer reset (ECONNRESET, EPIPE, ECONNABORTED on a send or "       \
    "receive); also in send_errors or recv_errors")                                               \
  X(kConnectionsTimedOut, connections_timed_out, kConnections,                                    \
    "established connections our own kernel gave up on: retransmissions went unacknowledged "     \
    "(ETIMEDOUT, or an ICMP unreachable error that came meanwhile): the path or the peer's "      \
    "host went silent, the peer did not reset them. Also in send_errors or recv_errors")          \
  X(kUnrequestedResponses, unrequested_responses, kErrors,                                        \
    "echo and rr: responses that arrived with no request awaiting them (a server that answers "   \
    "twice, or more than was sent): they would complete later requests early")

// X(enum, name, meaning); the proto enum value is TIMING_<NAME>.
#define SALVO_TIMINGS(X)                                                                     \
  X(kRoundTrip, round_trip,                                                                  \
    "echo: from a message's send (closed loop) or its intended send time (open loop, "       \
    "corrected for coordinated omission) to the arrival of its last echoed byte")            \
  X(kSendCall, send_call,                                                                    \
    "one send: the time inside send(); submission to completion for io_uring sends that "    \
    "waited for room and for uring-zc")                                                      \
  X(kZcCompletion, zc_completion,                                                            \
    "a zero-copy send to the kernel's notification that its pages are free again")           \
  X(kServiceTime, service_time,                                                              \
    "open loop, echo: from a message's actual send to the arrival of its last echoed byte")  \
  X(kScheduleLag, schedule_lag,                                                              \
    "open loop: how long after its intended send time a message was handed to the engine")   \
  X(kConnect, connect,                                                                       \
    "connect-rr: from the connect call (the SYN) to the connection established")             \
  X(kGeneratorLag, generator_lag,                                                            \
    "open loop: of the schedule lag, the generator's own part: from when a message was due " \
    "and its connection free to its hand-off to the engine (the rest waited for the target " \
    "to free the connection)")

// X(enum, proto_field_name, unit, scale, meaning, counters...): the sum of the counters times
// `scale`, divided by the measured seconds.
#define SALVO_RATES(X)                                                                             \
  X(kCompletionsPerSec, completions_per_sec, kPerSecond, 1.0,                                      \
    "completed sends and receives per second: the origin notes' completion TPS",                   \
    Counter::kSendCalls, Counter::kRecvCalls)                                                      \
  X(kMessagesPerSec, messages_per_sec, kPerSecond, 1.0, "messages per second", Counter::kMessages) \
  X(kOfferedPerSec, offered_per_sec, kPerSecond, 1.0,                                              \
    "open loop: messages that came due per second (the offered load)", Counter::kMessagesDue)      \
  X(kSendCallsPerSec, send_calls_per_sec, kPerSecond, 1.0, "completed sends per second",           \
    Counter::kSendCalls)                                                                           \
  X(kRecvCallsPerSec, recv_calls_per_sec, kPerSecond, 1.0, "completed receives per second",        \
    Counter::kRecvCalls)                                                                           \
  X(kMbPerSecSent, mb_per_sec_sent, kMegabytesPerSecond, 1e-6,                                     \
    "decimal megabytes (10^6 bytes) handed to the kernel per second", Counter::kBytesSent)         \
  X(kMbPerSecReceived, mb_per_sec_received, kMegabytesPerSecond, 1e-6,                             \
    "decimal megabytes (10^6 bytes) read per second", Counter::kBytesReceived)                     \
  X(kMbPerSecDelivered, mb_per_sec_delivered, kMegabytesPerSecond, 1e-6,                           \
    "decimal megabytes (10^6 bytes) delivered to the peer per second of the span",                 \
    Counter::kBytesDeliveredInSpan)                                                                \
  X(kConnectsPerSec, connects_per_sec, kPerSecond, 1.0, "connections established per second",      \
    Counter::kConnectionsEstablished)

#define SALVO_FIGURE_ENUM(e, ...) e,
enum class Counter : int { SALVO_COUNTERS(SALVO_FIGURE_ENUM) };
enum class Timing : int { SALVO_TIMINGS(SALVO_FIGURE_ENUM) };
enum class Rate : int { SALVO_RATES(SALVO_FIGURE_ENUM) };
#undef SALVO_FIGURE_ENUM

#define SALVO_FIGURE_COUNT(...) +1
inline constexpr int kNumCounters = 0 SALVO_COUNTERS(SALVO_FIGURE_COUNT);
inline constexpr int kNumTimings = 0 SALVO_TIMINGS(SALVO_FIGURE_COUNT);
inline constexpr int kNumRates = 0 SALVO_RATES(SALVO_FIGURE_COUNT);
#undef SALVO_FIGURE_COUNT

struct FigureInfo {
  const char* name;  // the proto field (counters, rates) or the lower-case Timing enum name
  Unit unit;
  const char* meaning;
};

struct RateInfo {
  FigureInfo figure;
  double scale;
  std::array<Counter, 2> counters;
  int num_counters;

  constexpr RateInfo(FigureInfo f, double s, std::initializer_list<Counter> c)
      : figure(f), scale(s), counters{}, num_counters(static_cast<int>(c.size())) {
    int i = 0;
    for (Counter x : c) counters[i++] = x;
  }
};

inline constexpr std::array<FigureInfo, kNumCounters> kCounterInfo = {{
#define SALVO_COUNTER_INFO(e, name, unit, meaning) {#name, Unit::unit, meaning},
    SALVO_COUNTERS(SALVO_COUNTER_INFO)
#undef SALVO_COUNTER_INFO
}};

inline constexpr std::array<FigureInfo, kNumTimings> kTimingInfo = {{
#define SALVO_TIMING_INFO(e, name, meaning) {#name, Unit::kNanoseconds, meaning},
    SALVO_TIMINGS(SALVO_TIMING_INFO)
#undef SALVO_TIMING_INFO
}};

// The timings' names, for parsing and the wire (TIMING_ROUND_TRIP is "round_trip").
inline constexpr enums::EnumTable<Timing, kNumTimings> kTimingNames{
    "timing",
    {{
#define SALVO_TIMING_NAME(e, name, meaning) {Timing::e, #name},
        SALVO_TIMINGS(SALVO_TIMING_NAME)
#undef SALVO_TIMING_NAME
    }}};

inline constexpr std::array<RateInfo, kNumRates> kRateInfo = {{
#define SALVO_RATE_INFO(e, name, unit, scale, meaning, ...) \
  RateInfo({#name, Unit::unit, meaning}, scale, {__VA_ARGS__}),
    SALVO_RATES(SALVO_RATE_INFO)
#undef SALVO_RATE_INFO
}};

constexpr int Index(Counter c) { return static_cast<int>(c); }
constexpr int Index(Timing t) { return static_cast<int>(t); }
constexpr int Index(Rate r) { return static_cast<int>(r); }
constexpr const FigureInfo& Info(Counter c) { return kCounterInfo[Index(c)]; }
constexpr const FigureInfo& Info(Timing t) { return kTimingInfo[Index(t)]; }
constexpr const FigureInfo& Info(Rate r) { return kRateInfo[Index(r)].figure; }

// Values of every counter, indexed by Counter.
class CounterValues {
 public:
  uint64_t& operator[](Counter c) { return v_[Index(c)]; }
  uint64_t operator[](Counter c) const { return v_[Index(c)]; }
  uint64_t& at(int i) { return v_[i]; }
  uint64_t at(int i) const { return v_[i]; }

  CounterValues& operator+=(const CounterValues& o) {
    for (int i = 0; i < kNumCounters; ++i) v_[i] += o.v_[i];
    return *this;
  }
  // What grew from `before` to this; a counter that went backwards (a hostile or confused
  // report) counts as 0 rather than wrapping.
  CounterValues Since(const CounterValues& before) const {
    CounterValues d;
    for (int i = 0; i < kNumCounters; ++i)
      d.v_[i] = v_[i] >= before.v_[i] ? v_[i] - before.v_[i] : 0;
    return d;
  }
  bool operator==(const CounterValues&) const = default;

 private:
  std::array<uint64_t, kNumCounters> v_{};
};

// Values of every rate, indexed by Rate.
class RateValues {
 public:
  double operator[](Rate r) const { return v_[Index(r)]; }
  double& operator[](Rate r) { return v_[Index(r)]; }
  double at(int i) const { return v_[i]; }
  double& at(int i) { return v_[i]; }

 private:
  std::array<double, kNumRates> v_{};
};

inline constexpr double kMinRateSpanSeconds = 1e-6;

// Every rate, from counters summed over a span and that span's measured length. All rates in
// salvo, per agent, per interval and in total, come from here; 0 for an empty span.
// Spans shorter than kMinRateSpanSeconds give zero rates.
RateValues ComputeRates(const CounterValues& counters, double seconds);

// zc_copied / zc_sends: 1.0 means no send was actually zero-copy; 0 without zero-copy sends.
double ZcCopiedShare(const CounterValues& counters);

// Stream-out messages per completed send call (messages / send_calls): 1 without coalescing,
// up to the messages one send carries with it; 0 when nothing was sent.
double MessagesPerSend(const CounterValues& counters);

// CPU nanoseconds per byte sent: the sender's cost; 0 when nothing was sent.
double CpuNsPerByteSent(double cpu_s, const CounterValues& counters);

}  // namespace salvo::metrics
