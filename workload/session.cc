#include "workload/session.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "metrics/clock.h"
#include "net/socket.h"
#include "workload/framing.h"
#include "workload/schedule.h"

namespace salvo::workload {
namespace {

using metrics::Counter;

// What open-loop sending adds to a session: the schedule of intended send times, the timer for
// the next one, and the backlog of messages that came due but could not be sent yet. With no
// rate, none of it runs and the session is closed-loop.
class ScheduledSession : public Session, public net::TimerHandler {
 public:
  using Session::Session;
  ~ScheduledSession() override { StopSchedule(); }

  void Start() final {
    if (open_loop()) {
      StartSchedule();
    } else {
      StartClosedLoop();
    }
  }
  void BeginDrain() override {
    Session::BeginDrain();
    CountLateDue();
    StopSchedule();
  }

 protected:
  // Closed loop: the first sends, after which completions drive the rest.
  virtual void StartClosedLoop() = 0;
  bool open_loop() const { return options().rate != nullptr; }
  void StartSchedule() {
    open_ = std::make_unique<OpenLoopState>(Schedule(options().rate, options().arrival,
                                                     options().schedule_start_ns,
                                                     options().schedule_seed + slot_));
    open_->intended.resize(options().pipeline);
    if (open_->schedule.next_ns() <= options().schedule_until_ns) Arm();
  }
  void StopSchedule() {
    if (open_ == nullptr) return;
    if (open_->timer_armed) engine().CancelTimer(open_->timer);
    open_->timer_armed = false;
    open_->backlog.clear();
    open_->head = 0;
  }
  size_t backlog() const { return open_ == nullptr ? 0 : open_->backlog.size() - open_->head; }
  bool Idle() const override {
    return open_ != nullptr && Scheduling() && backlog() == 0 && !Full() && !HoldingData();
  }
  // The intended send time of the oldest message waiting.
  uint64_t TakeDue() {
    const uint64_t t = open_->backlog[open_->head++];
    if (open_->head == open_->backlog.size()) {
      open_->backlog.clear();
      open_->head = 0;
    }
    return t;
  }
  // The intended send time of the message in pipeline slot `slot` (echo).
  uint64_t& intended(size_t slot) { return open_->intended[slot]; }
  // Whether a message meant to leave at `intended` counts in the measured window.
  bool InWindow(uint64_t intended) const { return intended >= options().window_start_ns; }
  // A message meant for `intended` handed to the engine at `now`: its schedule lag, and the part
  // of it that is the generator's own (from when it was due and its connection free, which the
  // session marks with ConnectionFreed).
  void RecordLag(uint64_t intended, uint64_t now) {
    if (!InWindow(intended)) return;
    stats().Record(metrics::Timing::kScheduleLag, now - intended);
    const uint64_t ready = std::max(intended, open_->freed_at);
    stats().Record(metrics::Timing::kGeneratorLag, now > ready ? now - ready : 0);
  }
  // The connection could take a message again after being Full(): what waited for it until now
  // waited for the target.
  void ConnectionFreed(uint64_t now) {
    if (open_ == nullptr) return;
    open_->freed_at = now;
    // A timer put off while the connection was busy comes back to the schedule's own time.
    if (open_->timer_armed && open_->postponed) {
      engine().CancelTimer(open_->timer);
      Arm();
    }
  }
  // Whether a message that comes due now must wait for the connection: every echo pipeline slot
  // holding a message in flight, or a stream-out send still waiting for room in the socket.
  virtual bool Full() const = 0;
  // Messages came due: send what can be sent.
  virtual void OnDue() = 0;
  // Whether the schedule runs: while the connection is open, for a session that lives on one
  // connection; connect-rr's slot goes on between its connections.
  virtual bool Scheduling() const { return state_ == State::kOpen; }

 private:
  // A connection that falls this far behind its schedule keeps counting what comes due but
  // stops remembering it: the report already says it could not keep up.
  static constexpr size_t kMaxBacklog = 1 << 16;
  static constexpr size_t kMaxDuePerTimer = 4096;

  // On the heap, and only for open-loop sessions: a closed-loop connection pays one pointer.
  struct OpenLoopState {
    explicit OpenLoopState(Schedule s) : schedule(std::move(s)) {}
    Schedule schedule;
    net::TimerId timer = 0;
    bool timer_armed = false;
    std::vector<uint64_t> backlog;  // intended send times of messages due, oldest at `head`
    size_t head = 0;
    std::vector<uint64_t> intended;  // echo: per pipeline slot
    uint64_t freed_at = 0;           // when the connection last stopped being Full()
    bool postponed = false;          // the timer was put off while the connection was busy
  };
  // While the connection is busy and messages already wait for it, the schedule only needs
  // counting, not a wake-up per message: the timer comes at most this often (issue 22: a timer
  // firing at an overloaded schedule's pace took the worker from the sends, and an open loop far
  // above capacity achieved a ninth of the closed loop's rate).
  static constexpr uint64_t kBusyTimerNs = 1'000'000;

  void OnTimer(net::TimerId) override {
    open_->timer_armed = false;
    if (!Scheduling() || draining_) return;
    Schedule& schedule = open_->schedule;
    const uint64_t until = options().schedule_until_ns;
    const uint64_t now = std::min(metrics::MonoNanos(), until);
    // Everything due by now: a timer that fired late must not lose messages.
    for (size_t taken = 0;
         schedule.next_ns() <= now && taken < kMaxDuePerTimer && backlog() < kMaxBacklog; ++taken) {
      if (InWindow(schedule.next_ns())) CountDue(1);
      open_->backlog.push_back(schedule.next_ns());
      schedule.Advance();
    }
    // Still behind, or nothing more to remember: count the rest at once. Taking them one by one
    // would make each late timer slower than the last.
    SkipAndCount(now);
    OnDue();
    if (schedule.next_ns() <= until) Arm();
  }
  // At the drain: what came due by the end of the schedule but whose timer had not fired yet (a
  // worker running late) is counted as due, unsent, so that the offered rate is what the
  // schedule asked for however late the worker ran.
  void CountLateDue() {
    if (open_ == nullptr || !Scheduling()) return;
    const uint64_t now = std::min(metrics::MonoNanos(), options().schedule_until_ns);
    SkipAndCount(now);
  }
  // Skips every message due by `now`, counting as due those meant for the window.
  void SkipAndCount(uint64_t now) {
    const uint64_t window = options().window_start_ns;
    if (window > 0) open_->schedule.SkipTo(std::min(now, window - 1));  // the warm-up's
    CountDue(open_->schedule.SkipTo(now));
  }
  // `n` messages came due; those that find the connection busy are the target's, not ours.
  void CountDue(uint64_t n) {
    stats().Add(Counter::kMessagesDue, n);
    if (Full()) stats().Add(Counter::kPipelineFull, n);
  }
  void Arm() {
    uint64_t at = open_->schedule.next_ns();
    open_->postponed = Full() && backlog() > 0;
    if (open_->postponed) at = std::max(at, metrics::MonoNanos() + kBusyTimerNs);
    open_->timer = engine().ScheduleAt(at, this);
    open_->timer_armed = true;
  }

  std::unique_ptr<OpenLoopState> open_;
};

// Echo, and rr: a message goes out, and is complete when its response has come back in full
// (echo: its own bytes; rr: as the framer says).
class EchoSession final : public ScheduledSession {
 public:
  EchoSession(SessionContext* ctx, size_t slot)
      : ScheduledSession(ctx, slot),
        sent_at_(ctx->options.pipeline, 0),
        response_bytes_(ctx->options.kind != Kind::kRr ? ctx->options.message_size
                                                       : ctx->options.response_bytes) {
    if (response_bytes_ == 0) {
      until_ = std::make_unique<ResponseFramer>(ctx->options.response_until);
    }
  }

  bool Drained() override { return state_ != State::kOpen || (!sending_ && completed_ == issued_); }
  // Requests sent or being sent whose response has not (all) come back.
  bool HoldingData() const override { return state_ == State::kOpen && completed_ < issued_; }
  void OnSendDone(net::ConnId) override {
    sending_ = false;
    sent_ += sending_bytes_;
    MaybeSend();
  }

 private:
  void StartClosedLoop() override { MaybeSend(); }
  uint64_t FreeSlots() const { return sent_at_.size() - (issued_ - completed_); }
  // Busy with messages in flight: a message behind a backlog with free slots waits for the
  // generator, not for the target.
  bool Full() const override { return issued_ - completed_ >= sent_at_.size(); }
  void OnDue() override { MaybeSend(); }

  void OnBytes(const uint8_t* data, size_t len) override {
    if (until_ != nullptr) until_->Feed(data, len);
    const uint64_t responses = until_ != nullptr ? until_->complete() : received_ / response_bytes_;
    // More responses than requests: the server answered something twice. Counted (the run fails
    // on it), since each surplus response completes a later request early.
    if (responses > issued_ + unrequested_) {
      stats().Add(Counter::kUnrequestedResponses, responses - issued_ - unrequested_);
      unrequested_ = responses - issued_;
    }
    const bool was_full = Full();
    // A message is complete once its response, and those of all messages before it, is back.
    while (completed_ < issued_ && completed_ < responses) {
      const uint64_t now = metrics::MonoNanos();
      const size_t k = completed_ % sent_at_.size();
      ++completed_;
      if (open_loop()) {
        if (!InWindow(intended(k))) continue;  // the warm-up's message
        // The headline figure counts from when the message should have left.
        stats().Record(metrics::Timing::kRoundTrip, now - intended(k));
        stats().Record(metrics::Timing::kServiceTime, now - sent_at_[k]);
      } else {
        stats().Record(metrics::Timing::kRoundTrip, now - sent_at_[k]);
      }
      stats().Add(Counter::kMessages);
    }
    if (open_loop() && was_full && !Full()) ConnectionFreed(metrics::MonoNanos());
    MaybeSend();
  }

  // Sends every message whose pipeline slot is free (closed loop) or that is due and has a free
  // slot (open loop), up to messages_per_send in one send: they reach the kernel together, so
  // they share one send time.
  void MaybeSend() {
    if (draining_ || sending_ || state_ != State::kOpen) return;
    uint64_t n = std::min<uint64_t>(FreeSlots(), options().messages_per_send);
    if (open_loop()) n = std::min<uint64_t>(n, backlog());
    if (n == 0) return;
    const uint64_t size = options().message_size;
    const uint64_t now = metrics::MonoNanos();
    for (uint64_t k = 0; k < n; ++k) {
      const size_t slot = (issued_ + k) % sent_at_.size();
      sent_at_[slot] = now;
      if (open_loop()) {
        intended(slot) = TakeDue();
        RecordLag(intended(slot), now);
      }
    }
    sending_ = true;
    sending_bytes_ = n * size;
    SendAt(issued_ * size, sending_bytes_);
    issued_ += n;
  }

  // Ring of send times, one per message in flight; inline for the usual single message, which
  // saves a heap block per connection (about 50 B at 10,000 connections).
  absl::InlinedVector<uint64_t, 1> sent_at_;
  // Each response's length (echo: the message's), or 0 when a delimiter ends them: then only
  // rr sessions carry a framer.
  const uint64_t response_bytes_;
  std::unique_ptr<ResponseFramer> until_;
  uint64_t sending_bytes_ = 0;
  uint64_t issued_ = 0;
  uint64_t completed_ = 0;
  uint64_t unrequested_ = 0;  // the most responses seen beyond the requests issued
  bool sending_ = false;
};

class StreamOutSession final : public ScheduledSession {
 public:
  using ScheduledSession::ScheduledSession;

  void BeginDrain() override {
    ScheduledSession::BeginDrain();
    if (!sending_ && state_ == State::kOpen) {
      engine().ShutdownWrite(id_);
      shut_ = true;
    }
  }
  bool HoldingData() const override { return sending_ || peer_has_ < sent_; }
  // After the last send the write side is shut and the session waits for the peer to close:
  // a peer that closes in order after our FIN has read every byte, so when the run reports, the
  // target's own count is complete. (Delivered bytes are known before that, from the peer's
  // acknowledgements.)
  bool Drained() override { return state_ != State::kOpen; }
  void OnSendDone(net::ConnId) override {
    sending_ = false;
    sent_ += sending_messages_ * options().message_size;
    stats().Add(Counter::kMessages, open_loop() ? sending_in_window_ : sending_messages_);
    if (draining_) {
      engine().ShutdownWrite(id_);
      shut_ = true;
      return;
    }
    if (open_loop()) {
      ConnectionFreed(metrics::MonoNanos());
      OnDue();
    } else {
      SendNext(options().messages_per_send);
    }
  }

 private:
  void StartClosedLoop() override { SendNext(options().messages_per_send); }
  bool Full() const override { return sending_; }
  // Paced: the messages due go out together, up to messages_per_send.
  void OnDue() override {
    if (sending_ || backlog() == 0) return;
    const uint64_t n = std::min<uint64_t>(backlog(), options().messages_per_send);
    const uint64_t now = metrics::MonoNanos();
    sending_in_window_ = 0;
    for (uint64_t k = 0; k < n; ++k) {
      const uint64_t intended = TakeDue();
      if (!InWindow(intended)) continue;
      ++sending_in_window_;
      RecordLag(intended, now);
    }
    SendNext(n);
  }
  void SendNext(uint64_t messages) {
    sending_ = true;
    sending_messages_ = messages;
    const size_t bytes = messages * options().message_size;
    SendAt(offset_, bytes);
    offset_ += bytes;
  }

  uint64_t offset_ = 0;
  uint64_t sending_messages_ = 0;
  uint64_t sending_in_window_ = 0;  // open loop: of sending_messages_, those meant for the window
  bool sending_ = false;
};

class StreamInSession final : public Session {
 public:
  using Session::Session;

  void Start() override {}
  bool Drained() override { return true; }
  void OnSendDone(net::ConnId) override {}

 private:
  void OnBytes(const uint8_t*, size_t len) override {
    // Message-sized units received, so messages/s means the same thing in every workload.
    const uint64_t size = options().message_size;
    const uint64_t before = (received_ - len) / size;
    stats().Add(Counter::kMessages, received_ / size - before);
  }
};

// connect-rr: a connection per request. Each slot's first connection is opened in the connect
// phase like any other; after each response the connection is closed (FIN or RST) and the next
// opened at once (closed loop) or when the next request is due (open loop).
class ConnectRrSession final : public ScheduledSession {
 public:
  ConnectRrSession(SessionContext* ctx, size_t slot)
      : ScheduledSession(ctx, slot),
        response_bytes_(ctx->options.request.empty() ? ctx->options.message_size
                                                     : ctx->options.response_bytes) {
    if (response_bytes_ == 0) {
      until_ = std::make_unique<ResponseFramer>(ctx->options.response_until);
    }
    retry_.session = this;
  }
  ~ConnectRrSession() override { CancelRetry(); }

  void BeginDrain() override {
    ScheduledSession::BeginDrain();
    CancelRetry();
  }
  bool Drained() override { return phase_ != Phase::kAwaiting; }
  // A slot waiting to retry a failed connect has work it could not do.
  bool Idle() const override { return ScheduledSession::Idle() && !retry_.armed; }
  void OnSendDone(net::ConnId) override { sent_ += options().message_size; }

 private:
  enum class Phase : uint8_t { kReady, kConnecting, kAwaiting, kIdle };
  // A connect that failed, or a connection dropped before its response, is retried after this
  // long: a refused target or used-up ports must not turn the worker into a loop of failing
  // calls.
  static constexpr uint64_t kRetryNs = 10'000'000;

  struct RetryTimer final : net::TimerHandler {
    void OnTimer(net::TimerId) override {
      armed = false;
      session->Next();
    }
    ConnectRrSession* session = nullptr;
    net::TimerId id = 0;
    bool armed = false;
  };

  void StartClosedLoop() override {
    if (phase_ == Phase::kReady && state_ == State::kOpen) {
      cycle_started_ = metrics::MonoNanos();
      Request();
    } else {
      Reconnect();
    }
  }
  bool Full() const override { return phase_ == Phase::kConnecting || phase_ == Phase::kAwaiting; }
  // The slot's schedule goes on while it is between connections (issue 22: it stopped after the
  // first cycle, when the connection it began on closed).
  bool Scheduling() const override { return true; }
  void OnDue() override {
    if (draining_ || backlog() == 0 || Full() || retry_.armed) return;
    const uint64_t now = metrics::MonoNanos();
    intended_ = TakeDue();
    RecordLag(intended_, now);
    if (phase_ == Phase::kReady && state_ == State::kOpen) {
      cycle_started_ = now;
      Request();
    } else {
      Reconnect();
    }
  }
  // The next cycle, once the last one ended or a retry is due.
  void Next() {
    if (draining_) return;
    if (open_loop()) {
      OnDue();
    } else {
      Reconnect();
    }
  }
  void Reconnect() {
    phase_ = Phase::kConnecting;
    if (until_ != nullptr) until_->Restart();
    cycle_started_ = metrics::MonoNanos();
    Connect(*to_, from_);
    if (state_ == State::kClosed) Retry();  // failed at once (no port, no descriptor)
  }
  void AfterConnect(bool ok) override {
    if (phase_ != Phase::kConnecting) return;  // the connect phase's: Start sends on it
    if (!ok) {
      Retry();
      return;
    }
    stats().Record(metrics::Timing::kConnect, metrics::MonoNanos() - cycle_started_);
    if (draining_) {
      End();
      return;
    }
    Request();
  }
  void AfterClose() override {
    if (phase_ == Phase::kAwaiting || phase_ == Phase::kReady) Retry();
  }
  void Request() {
    phase_ = Phase::kAwaiting;
    response_from_ = received_;
    complete_before_ = until_ != nullptr ? until_->complete() : 0;
    sent_at_ = metrics::MonoNanos();
    // Echo's pattern continues across connections, so --verify checks every response.
    SendAt(received_, options().message_size);
  }
  void OnBytes(const uint8_t* data, size_t len) override {
    if (phase_ != Phase::kAwaiting) return;
    if (until_ != nullptr) until_->Feed(data, len);
    const bool done = until_ != nullptr ? until_->complete() > complete_before_
                                        : received_ - response_from_ >= response_bytes_;
    if (!done) return;
    const uint64_t now = metrics::MonoNanos();
    if (!open_loop()) {
      stats().Record(metrics::Timing::kRoundTrip, now - sent_at_);
      stats().Add(Counter::kMessages);
    } else if (InWindow(intended_)) {
      // From when the cycle should have begun, connect included.
      stats().Record(metrics::Timing::kRoundTrip, now - intended_);
      stats().Record(metrics::Timing::kServiceTime, now - cycle_started_);
      stats().Add(Counter::kMessages);
    }
    End();
    if (open_loop()) ConnectionFreed(now);
    Next();
  }
  // Every connection ends the way --close says.
  void End() {
    Close(/*reset=*/options().close == CloseMode::kRst);
    phase_ = Phase::kIdle;
  }
  void Retry() {
    phase_ = Phase::kIdle;
    if (draining_ || retry_.armed) return;
    retry_.id = engine().ScheduleAt(metrics::MonoNanos() + kRetryNs, &retry_);
    retry_.armed = true;
  }
  void CancelRetry() {
    if (retry_.armed) engine().CancelTimer(retry_.id);
    retry_.armed = false;
  }

  const uint64_t response_bytes_;
  std::unique_ptr<ResponseFramer> until_;
  RetryTimer retry_;
  Phase phase_ = Phase::kReady;
  uint64_t cycle_started_ = 0;
  uint64_t sent_at_ = 0;
  uint64_t intended_ = 0;
  uint64_t response_from_ = 0;
  uint64_t complete_before_ = 0;
};

}  // namespace

void SessionContext::RecordConnectError(const absl::Status& status) {
  ++failed;
  stats->Add(Counter::kConnectErrors);
  switch (net::ConnectErrno(status)) {
    case ECONNREFUSED:
      stats->Add(Counter::kConnectRefused);
      break;
    case EADDRNOTAVAIL:
      stats->Add(Counter::kConnectNoPort);
      break;
  }
  if (first_error.empty()) first_error = std::string(status.message());
}

void Session::Connect(const net::SocketAddress& to, const net::SocketAddress* from) {
  to_ = &to;
  from_ = from;
  if (ctx_->connect_rank != nullptr && ctx_->connect_rank[slot_] == kNoConnectRank) {
    ctx_->connect_rank[slot_] = ctx_->connect_counter->fetch_add(1, std::memory_order_relaxed);
  }
  absl::StatusOr<net::ConnId> id = engine().ConnectFrom(to, from, this);
  if (!id.ok()) {
    state_ = State::kClosed;
    close_reason_ = id.status();
    ctx_->RecordConnectError(id.status());
    return;
  }
  id_ = *id;
  state_ = State::kConnecting;
}

void Session::Close(bool reset) {
  if (state_ == State::kOpen || state_ == State::kConnecting) {
    if (reset) {
      engine().Reset(id_);
    } else {
      engine().Close(id_);
    }
  }
  state_ = State::kClosed;
}

metrics::ConnectionSample Session::Sample(bool read_tcp_info) {
  metrics::ConnectionSample s = last_;
  s.local_port = local_port_;
  s.open = state_ == State::kOpen;
  s.tcp_info = false;
  const bool stream_out = options().kind == Kind::kStreamOut;
  if (options().kind == Kind::kEcho) peer_has_ = received_;
  if (s.open && (read_tcp_info || stream_out)) {
    absl::StatusOr<net::TcpInfo> info = engine().ReadTcpInfo(id_);
    if (info.ok()) {
      s.tcp_info = read_tcp_info;
      s.rtt_us = info->rtt_us;
      s.cwnd = info->snd_cwnd;
      s.retransmits = info->total_retrans;
      s.last_ack_ms = info->last_ack_recv_ms;
      s.busy_us = info->busy_time_us;
      s.rwnd_limited_us = info->rwnd_limited_us;
      s.sndbuf_limited_us = info->sndbuf_limited_us;
      // Only a sender can be starved by the peer's window, and only with data to send.
      s.zero_window = info->has_snd_wnd && info->snd_wnd == 0 && sent_ > 0;
      if (stream_out && info->has_bytes_acked) {
        // The kernel counts the SYN as an acknowledged byte, and the FIN once our side is shut
        // (by then every send is complete, so `sent_` bounds it exactly).
        uint64_t acked = info->bytes_acked > 0 ? info->bytes_acked - 1 : 0;
        if (shut_) acked = std::min(acked, sent_);
        peer_has_ = std::max(peer_has_, acked);
      }
    }
  }
  s.delivered = WindowDelivered();
  s.idle = Idle();
  last_ = s;
  return s;
}

uint64_t Session::Taken() const {
  return sent_ + (state_ == State::kOpen ? ctx_->engine->send_progress(id_) : 0);
}

void Session::MarkWindowStart() {
  window_sent_from_ = Taken();
  window_received_from_ = received_;
}

uint64_t Session::WindowDelivered() const {
  if (options().kind != Kind::kStreamOut && options().kind != Kind::kEcho) {
    return received_ - window_received_from_;
  }
  // Of the bytes the kernel took in the window, [window_sent_from_, Taken()), those the peer has.
  const uint64_t upto = std::min(peer_has_, Taken());
  return upto > window_sent_from_ ? upto - window_sent_from_ : 0;
}

void Session::OnConnected(net::ConnId, absl::Status status) {
  if (!status.ok()) {
    state_ = State::kClosed;
    close_reason_ = status;
    ctx_->RecordConnectError(status);
    AfterConnect(false);
    return;
  }
  state_ = State::kOpen;
  ++ctx_->connected;
  stats().Add(Counter::kConnectionsEstablished);
  if (absl::StatusOr<uint16_t> port = engine().LocalPort(id_); port.ok()) local_port_ = *port;
  AfterConnect(true);
}

void Session::OnRecv(net::ConnId, const uint8_t* data, size_t len) {
  if (options().verify) {
    if (const uint64_t bad = Pattern::CountMismatches(received_, data, len); bad > 0) {
      stats().Add(Counter::kVerifyErrors, bad);
    }
  }
  received_ += len;
  OnBytes(data, len);
}

void Session::OnClosed(net::ConnId, absl::Status why) {
  // The peer closed in order after our FIN: it read everything we sent, so all of it was
  // delivered (the connection is gone, so TCP_INFO can no longer say it).
  if (why.ok() && draining_ && options().kind == Kind::kStreamOut) {
    peer_has_ = sent_;
    last_.delivered = WindowDelivered();
  }
  state_ = State::kClosed;
  close_reason_ = std::move(why);
  AfterClose();
}

std::unique_ptr<Session> MakeSession(SessionContext* ctx, size_t slot) {
  switch (ctx->options.kind) {
    case Kind::kEcho:
    case Kind::kRr:
      return std::make_unique<EchoSession>(ctx, slot);
    case Kind::kStreamOut:
      return std::make_unique<StreamOutSession>(ctx, slot);
    case Kind::kStreamIn:
      return std::make_unique<StreamInSession>(ctx, slot);
    case Kind::kConnectRr:
      return std::make_unique<ConnectRrSession>(ctx, slot);
  }
  return nullptr;
}

}  // namespace salvo::workload
