// A net::Engine with no sockets, for testing sessions (echo's pipeline, rr's framing, connect-rr's
// retries) in milliseconds and exactly: the test decides how each connect ends, what comes back
// and in what pieces, and every byte a session sent is kept.
//
//   FakeEngine engine;
//   engine.set_echo(true, /*chunk=*/1);   // every sent byte comes back, one byte per OnRecv
//   SessionContext ctx; ctx.engine = &engine; ...
//   auto s = MakeSession(&ctx, 0);
//   s->Connect(address);
//   engine.Poll(absl::ZeroDuration());   // the connect completes (OK unless failed by the test)
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "net/engine.h"
#include "net/timer_queue.h"

namespace salvo::testing {

class FakeEngine final : public net::Engine {
 public:
  struct Conn {
    net::ConnectionHandler* handler = nullptr;
    bool connecting = true;
    bool open = true;
    bool receiving = true;
    bool shut_down = false;
    bool reset = false;
    // The send in flight (completes on the next Poll) and every byte sent so far.
    const uint8_t* send_data = nullptr;
    size_t send_len = 0;
    std::string sent;
    // What the peer sends and the session has not been given yet.
    std::string inbound;
  };

  // The next connects end with these results, in order (then OK).
  void FailNextConnects(std::vector<absl::Status> results) {
    connect_results_.insert(connect_results_.end(), results.begin(), results.end());
  }
  // Every completed send's bytes come back, delivered `chunk` bytes per OnRecv (0: whole).
  void set_echo(bool on, size_t chunk = 0) {
    echo_ = on;
    chunk_ = chunk;
  }
  // The peer sends `bytes` on connection `id`, delivered per the chunk size.
  void Deliver(net::ConnId id, const std::string& bytes) { conns_[id].inbound += bytes; }
  const Conn& conn(net::ConnId id) const { return conns_[id]; }
  size_t connects() const { return conns_.size(); }

  absl::string_view name() const override { return "fake"; }
  bool Supports(net::SendMode mode) const override { return mode == net::SendMode::kCopy; }
  absl::StatusOr<net::ConnId> ConnectFrom(const net::SocketAddress&, const net::SocketAddress*,
                                          net::ConnectionHandler* handler) override;
  absl::Status Listen(net::Fd, net::AcceptHandler*) override {
    return absl::UnimplementedError("the fake engine has no listeners");
  }
  void Send(net::ConnId id, const uint8_t* data, size_t len) override;
  void SetReceiving(net::ConnId id, bool on) override { conns_[id].receiving = on; }
  void ShutdownWrite(net::ConnId id) override { conns_[id].shut_down = true; }
  void Close(net::ConnId id) override { conns_[id].open = false; }
  void Reset(net::ConnId id) override {
    conns_[id].open = false;
    conns_[id].reset = true;
  }
  absl::StatusOr<net::TcpInfo> ReadTcpInfo(net::ConnId id) const override;
  absl::StatusOr<uint16_t> LocalPort(net::ConnId id) const override {
    return static_cast<uint16_t>(40000 + id);
  }
  net::TimerId ScheduleAt(uint64_t mono_ns, net::TimerHandler* handler) override {
    return timers_.Schedule(mono_ns, handler);
  }
  void CancelTimer(net::TimerId id) override { timers_.Cancel(id); }
  // Completes connects, then sends (echoing them when asked), then delivers what the peer sent,
  // then runs due timers; waits only for a timer due within `timeout`.
  absl::Status Poll(absl::Duration timeout) override;
  void Wake() override {}
  size_t open_connections() const override;

 private:
  std::vector<Conn> conns_;  // by id; ids are never reused here
  std::deque<net::ConnId> connecting_;
  std::deque<net::ConnId> sending_;
  std::deque<absl::Status> connect_results_;
  bool echo_ = false;
  size_t chunk_ = 0;
  net::TimerQueue timers_;
};

}  // namespace salvo::testing
