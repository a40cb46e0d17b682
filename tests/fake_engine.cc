#include "tests/fake_engine.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "metrics/clock.h"

namespace salvo::testing {

absl::StatusOr<net::ConnId> FakeEngine::ConnectFrom(const net::SocketAddress&,
                                                    const net::SocketAddress*,
                                                    net::ConnectionHandler* handler) {
  const net::ConnId id = static_cast<net::ConnId>(conns_.size());
  conns_.push_back(Conn{});
  conns_.back().handler = handler;
  connecting_.push_back(id);
  return id;
}

void FakeEngine::Send(net::ConnId id, const uint8_t* data, size_t len) {
  conns_[id].send_data = data;
  conns_[id].send_len = len;
  sending_.push_back(id);
}

absl::StatusOr<net::TcpInfo> FakeEngine::ReadTcpInfo(net::ConnId id) const {
  net::TcpInfo info;
  info.has_bytes_acked = true;
  info.bytes_acked = conns_[id].sent.size();  // the peer takes everything at once
  return info;
}

size_t FakeEngine::open_connections() const {
  return static_cast<size_t>(
      std::count_if(conns_.begin(), conns_.end(), [](const Conn& c) { return c.open; }));
}

absl::Status FakeEngine::Poll(absl::Duration timeout) {
  // Connects first, in the order they were made.
  for (std::deque<net::ConnId> now = std::exchange(connecting_, {}); !now.empty();
       now.pop_front()) {
    Conn& c = conns_[now.front()];
    if (!c.open) continue;
    absl::Status result;
    if (!connect_results_.empty()) {
      result = connect_results_.front();
      connect_results_.pop_front();
    }
    c.connecting = false;
    if (!result.ok()) c.open = false;
    c.handler->OnConnected(now.front(), result);
  }
  for (std::deque<net::ConnId> now = std::exchange(sending_, {}); !now.empty(); now.pop_front()) {
    Conn& c = conns_[now.front()];
    if (!c.open || c.send_data == nullptr) continue;
    const std::string bytes(reinterpret_cast<const char*>(c.send_data), c.send_len);
    c.sent += bytes;
    c.send_data = nullptr;
    counters_[metrics::Counter::kSendCalls] += 1;
    counters_[metrics::Counter::kBytesSent] += bytes.size();
    if (echo_) c.inbound += bytes;
    c.handler->OnSendDone(now.front());
  }
  for (net::ConnId id = 0; id < conns_.size(); ++id) {
    // Handlers may open connections (connect-rr): index, never hold a reference across a call.
    while (conns_[id].open && conns_[id].receiving && !conns_[id].inbound.empty()) {
      const size_t n =
          chunk_ == 0 ? conns_[id].inbound.size() : std::min(chunk_, conns_[id].inbound.size());
      const std::string piece = conns_[id].inbound.substr(0, n);
      conns_[id].inbound.erase(0, n);
      counters_[metrics::Counter::kRecvCalls] += 1;
      counters_[metrics::Counter::kBytesReceived] += n;
      conns_[id].handler->OnRecv(id, reinterpret_cast<const uint8_t*>(piece.data()), n);
    }
  }
  const absl::Duration wait = timers_.Bound(timeout, metrics::MonoNanos());
  if (wait > absl::ZeroDuration() && timers_.pending() > 0 && connecting_.empty() &&
      sending_.empty()) {
    absl::SleepFor(std::min(wait, absl::Milliseconds(50)));
  }
  timers_.RunDue(metrics::MonoNanos());
  return absl::OkStatus();
}

}  // namespace salvo::testing
