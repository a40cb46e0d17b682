#include "workload/session.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "metrics/clock.h"

namespace salvo::workload {
namespace {

using metrics::Counter;

class EchoSession final : public Session {
 public:
  EchoSession(SessionContext* ctx, size_t slot)
      : Session(ctx, slot), sent_at_(ctx->options.pipeline, 0) {}

  void Start() override { MaybeSend(); }
  bool Drained() const override {
    return state_ != State::kOpen || (!sending_ && completed_ == issued_);
  }
  void OnSendDone(net::ConnId) override {
    sending_ = false;
    MaybeSend();
  }

 private:
  void OnBytes(size_t) override {
    const uint64_t size = options().message_size;
    // A message is complete once every byte of it, and of all messages before it, is back.
    while (completed_ < issued_ && received_ >= (completed_ + 1) * size) {
      const uint64_t now = metrics::MonoNanos();
      stats().Record(metrics::Timing::kRoundTrip, now - sent_at_[completed_ % sent_at_.size()]);
      stats().Add(Counter::kMessages);
      ++completed_;
    }
    MaybeSend();
  }

  void MaybeSend() {
    if (draining_ || sending_ || state_ != State::kOpen) return;
    if (issued_ - completed_ >= sent_at_.size()) return;
    const uint64_t size = options().message_size;
    sent_at_[issued_ % sent_at_.size()] = metrics::MonoNanos();
    sending_ = true;
    SendAt(issued_ * size, size);
    ++issued_;
  }

  std::vector<uint64_t> sent_at_;  // ring of send times, one per message in flight
  uint64_t issued_ = 0;
  uint64_t completed_ = 0;
  bool sending_ = false;
};

class StreamOutSession final : public Session {
 public:
  using Session::Session;

  void Start() override { SendNext(); }
  void BeginDrain() override {
    Session::BeginDrain();
    if (!sending_ && state_ == State::kOpen) engine().ShutdownWrite(id_);
  }
  // After the last send the write side is shut and the session waits for the peer to close, so
  // every byte counted as sent has been read by the peer when the run reports.
  bool Drained() const override { return state_ != State::kOpen; }
  void OnSendDone(net::ConnId) override {
    sending_ = false;
    stats().Add(Counter::kMessages);
    stats().AddConnectionBytes(slot_, options().message_size);
    if (draining_) {
      engine().ShutdownWrite(id_);
      return;
    }
    SendNext();
  }

 private:
  void SendNext() {
    sending_ = true;
    SendAt(offset_, options().message_size);
    offset_ += options().message_size;
  }

  uint64_t offset_ = 0;
  bool sending_ = false;
};

class StreamInSession final : public Session {
 public:
  using Session::Session;

  void Start() override {}
  bool Drained() const override { return true; }
  void OnSendDone(net::ConnId) override {}

 private:
  void OnBytes(size_t len) override {
    // Message-sized units received, so messages/s means the same thing in every workload.
    const uint64_t size = options().message_size;
    const uint64_t before = (received_ - len) / size;
    stats().Add(Counter::kMessages, received_ / size - before);
  }
};

}  // namespace

void SessionContext::RecordConnectError(const absl::Status& status) {
  ++failed;
  stats->Add(Counter::kConnectErrors);
  if (first_error.empty()) first_error = std::string(status.message());
}

void Session::Connect(const net::SocketAddress& to) {
  absl::StatusOr<net::ConnId> id = engine().Connect(to, this);
  if (!id.ok()) {
    state_ = State::kClosed;
    close_reason_ = id.status();
    ctx_->RecordConnectError(id.status());
    return;
  }
  id_ = *id;
  state_ = State::kConnecting;
}

void Session::Close() {
  if (state_ == State::kOpen || state_ == State::kConnecting) engine().Close(id_);
  state_ = State::kClosed;
}

void Session::OnConnected(net::ConnId, absl::Status status) {
  if (!status.ok()) {
    state_ = State::kClosed;
    close_reason_ = status;
    ctx_->RecordConnectError(status);
    return;
  }
  state_ = State::kOpen;
  ++ctx_->connected;
  stats().Add(Counter::kConnectionsEstablished);
}

void Session::OnRecv(net::ConnId, const uint8_t* data, size_t len) {
  if (options().verify) {
    if (const uint64_t bad = Pattern::CountMismatches(received_, data, len); bad > 0) {
      stats().Add(Counter::kVerifyErrors, bad);
    }
  }
  received_ += len;
  if (options().kind != Kind::kStreamOut) stats().AddConnectionBytes(slot_, len);
  OnBytes(len);
}

void Session::OnClosed(net::ConnId, absl::Status why) {
  state_ = State::kClosed;
  close_reason_ = std::move(why);
}

std::unique_ptr<Session> MakeSession(SessionContext* ctx, size_t slot) {
  switch (ctx->options.kind) {
    case Kind::kEcho:
      return std::make_unique<EchoSession>(ctx, slot);
    case Kind::kStreamOut:
      return std::make_unique<StreamOutSession>(ctx, slot);
    case Kind::kStreamIn:
      return std::make_unique<StreamInSession>(ctx, slot);
  }
  return nullptr;
}

}  // namespace salvo::workload
