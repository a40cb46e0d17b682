// Workloads: what one client connection does once the load starts. Sessions talk to their
// connection only through net::Engine, so they run unchanged on any engine.
//
//   echo        send a message, wait for all of its bytes back, record the round trip; up to
//               `pipeline` messages in flight. Needs no framing: message k is complete when
//               (k + 1) * size bytes have come back.
//   stream-out  send back to back; whatever comes back is read and counted.
//   stream-in   send nothing; receive what the server pushes.
//   rr          echo's loop with a request of the user's (a file's bytes) and responses that end
//               after a number of bytes or at a delimiter: for real servers (redis PING, ...).
//   connect-rr  connection churn (neper's tcp_crr): connect, send one request (echo's message or
//               rr's), read its response, close (FIN or RST), repeat. The connect phase opens
//               each slot's first connection; later ones are opened during the run.
//
// A worker thread owns an engine and its sessions:
//   SessionContext ctx;
//   ctx.engine = engine.get();
//   ctx.stats = &stats;
//   ctx.pattern = &pattern;
//   ctx.options = options;
//   std::unique_ptr<Session> s = MakeSession(&ctx, slot);
//   s->Connect(target);           // ... Poll until ctx.connected + ctx.failed == n
//   s->Start();                   // ... Poll while the run lasts
//   s->BeginDrain();              // ... Poll until s->Drained()
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "enums/enum_table.h"
#include "metrics/connection_stats.h"
#include "metrics/thread_stats.h"
#include "net/engine.h"
#include "workload/pattern.h"
#include "workload/schedule.h"

namespace salvo::workload {

enum class Kind { kEcho, kStreamOut, kStreamIn, kRr, kConnectRr };

inline constexpr enums::EnumTable<Kind, 5> kKinds{"workload",
                                                  {{{Kind::kEcho, "echo"},
                                                    {Kind::kStreamOut, "stream-out"},
                                                    {Kind::kStreamIn, "stream-in"},
                                                    {Kind::kRr, "rr"},
                                                    {Kind::kConnectRr, "connect-rr"}}}};

// How a connect-rr connection ends.
enum class CloseMode { kFin, kRst };

inline constexpr enums::EnumTable<CloseMode, 2> kCloseModes{
    "close mode", {{{CloseMode::kFin, "fin"}, {CloseMode::kRst, "rst"}}}};

struct Options {
  Kind kind = Kind::kEcho;
  size_t message_size = 64;
  uint32_t pipeline = 1;
  bool verify = false;
  // Whole messages one send may carry (1: one send per message): stream-out's every send, and
  // pipelined echo's when that many slots are free.
  uint32_t messages_per_send = 1;
  // rr: each request's bytes (message_size is their length), and where each response ends:
  // after response_bytes, or at each response_until.
  std::string request;
  uint64_t response_bytes = 0;
  std::string response_until;
  // Open loop: messages per second this connection sends on its schedule, over the time since
  // schedule_start_ns (null: closed loop).
  std::shared_ptr<const RateProfile> rate;
  uint64_t schedule_start_ns = 0;
  Arrival arrival = Arrival::kUniform;
  // connect-rr: how each connection ends.
  CloseMode close = CloseMode::kFin;
  // Open loop: no message comes due after this instant (CLOCK_MONOTONIC ns): the end of the
  // measured span, so that what came due is counted over the span its rate is divided by.
  uint64_t schedule_until_ns = UINT64_MAX;
  // Open loop: the measured window's start (CLOCK_MONOTONIC ns). A message belongs to the window
  // its intended send time falls in: one meant for the warm-up is neither due, sent (schedule
  // lag) nor achieved in the window, however late a paused or loaded worker sends it.
  uint64_t window_start_ns = 0;
  // Open loop: connection `slot` of this worker seeds its schedule with schedule_seed + slot
  // (see ScheduleSeed), so that no two connections of a run share a sequence of arrivals.
  uint64_t schedule_seed = 0;
  // The bytes the sender's pattern must span: one send's worth.
  size_t SendSpan() const { return message_size * messages_per_send; }
};

// Bytes one coalesced stream-out send aims for.
inline constexpr size_t kCoalesceBytes = 64 * 1024;
// A connect_rank slot whose connection was never established.
inline constexpr uint32_t kNoConnectRank = UINT32_MAX;

// State shared by the sessions of one worker thread (and only that thread).
struct SessionContext {
  net::Engine* engine = nullptr;
  metrics::ThreadStats* stats = nullptr;
  const Pattern* pattern = nullptr;
  // rr: the request repeated messages_per_send times, so that several go out in one send.
  const uint8_t* requests = nullptr;
  Options options;
  // Connect outcomes, for the Ready report.
  uint32_t connected = 0;
  uint32_t failed = 0;
  std::string first_error;
  // When set: each session's first connect takes the next number of `connect_counter` (shared
  // by the agent's workers) into connect_rank[slot], its place in the agent's connect order,
  // which the diagnosis needs ("the 64 served are the first 64 connected"). Taken when the
  // connect is issued: the order the SYNs leave in, which is the order a server accepts them in,
  // where the order handshakes are seen to complete depends on which worker got a CPU first.
  // Written once per slot, before the start barrier.
  std::atomic<uint32_t>* connect_counter = nullptr;
  uint32_t* connect_rank = nullptr;

  void RecordConnectError(const absl::Status& status);
};

class Session : public net::ConnectionHandler {
 public:
  enum class State { kIdle, kConnecting, kOpen, kClosed };

  Session(SessionContext* ctx, size_t slot) : ctx_(ctx), slot_(slot) {}

  // Starts connecting (from source address `from` when not null; both must outlive the
  // session); failures are counted in the context either way.
  void Connect(const net::SocketAddress& to, const net::SocketAddress* from = nullptr);
  // The load begins. Only called on open sessions.
  virtual void Start() = 0;
  // Stop issuing new work and finish what is in flight.
  virtual void BeginDrain() { draining_ = true; }
  // Nothing in flight any more (or the connection is gone). Stream-out: the peer has closed
  // after reading to our FIN.
  virtual bool Drained() = 0;
  // Drops the connection at once (connect timeout, end of run). With `reset`, what the peer has
  // not acknowledged is discarded (so delivered bytes stay what was counted).
  void Close(bool reset = false);

  // The measured window begins (the end of the warm-up): from now on, delivered counts only
  // what was sent after this instant (stream-out, echo) or read after it (the rest).
  void MarkWindowStart();
  // This connection now: bytes delivered in the window and, when `read_tcp_info` or when
  // delivery needs it, the kernel's view. Delivered is attributed by stream offset: stream-out,
  // the bytes sent in the window that the peer acknowledged (TCP_INFO); echo, those it echoed
  // back; stream-in and rr, the bytes read in the window. So a warm-up's bytes acknowledged
  // during the window are not counted, and delivered never exceeds what the window sent.
  // After the connection closed, its last sample is kept.
  metrics::ConnectionSample Sample(bool read_tcp_info);
  // Bytes whose sends completed (handed to the kernel).
  uint64_t sent() const { return sent_; }
  // Bytes delivered in the window as of the last Sample().
  uint64_t delivered() const { return last_.delivered; }
  // Stream-out: the kernel still holds bytes of this connection that the peer has not
  // acknowledged (as of the last Sample()), or a send is still in progress. Echo and rr: a
  // request is still awaiting (some of) its response.
  virtual bool HoldingData() const { return false; }
  // Open loop: nothing due, queued or in flight (see metrics::ConnectionSample::idle).
  virtual bool Idle() const { return false; }

  State state() const { return state_; }
  const absl::Status& close_reason() const { return close_reason_; }

  void OnConnected(net::ConnId id, absl::Status status) final;
  void OnRecv(net::ConnId id, const uint8_t* data, size_t len) final;
  void OnClosed(net::ConnId id, absl::Status why) final;

 protected:
  // Bytes arrived (already counted and verified).
  virtual void OnBytes(const uint8_t* data, size_t len) {}
  // A connect finished (the base has counted it, and recorded a failure in the context).
  virtual void AfterConnect(bool ok) {}
  // The connection ended by the peer or an error (not by Close).
  virtual void AfterClose() {}

  net::Engine& engine() { return *ctx_->engine; }
  // Bytes the kernel has taken: completed sends and the part of the current one.
  uint64_t Taken() const;
  uint64_t WindowDelivered() const;
  metrics::ThreadStats& stats() { return *ctx_->stats; }
  const Options& options() const { return ctx_->options; }
  // Sends the message that starts at stream offset `offset` (rr: whole requests from the start).
  void SendAt(uint64_t offset, size_t len) {
    engine().Send(id_, ctx_->requests != nullptr ? ctx_->requests : ctx_->pattern->At(offset), len);
  }

  SessionContext* const ctx_;
  const size_t slot_;
  const net::SocketAddress* to_ = nullptr;
  const net::SocketAddress* from_ = nullptr;
  net::ConnId id_ = 0;
  State state_ = State::kIdle;
  bool draining_ = false;
  uint64_t received_ = 0;  // stream offset of the next byte to arrive
  uint64_t sent_ = 0;      // bytes of completed sends
  // Stream offsets where the window began (MarkWindowStart), and the furthest offset the peer
  // is known to have (stream-out: acknowledged; echo: echoed back).
  uint64_t window_sent_from_ = 0;
  uint64_t window_received_from_ = 0;
  uint64_t peer_has_ = 0;
  bool shut_ = false;  // our FIN is queued: no more sends
  uint16_t local_port_ = 0;
  metrics::ConnectionSample last_;
  absl::Status close_reason_;
};

std::unique_ptr<Session> MakeSession(SessionContext* ctx, size_t slot);

}  // namespace salvo::workload
