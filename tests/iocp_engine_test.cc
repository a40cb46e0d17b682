// The IOCP engine (Windows), over real sockets on loopback: built with mingw-w64 and run under
// wine by scripts/test-windows.sh. Wine's timings are not Windows', so these tests check what
// happens and in which order, never how fast.
#include "net/iocp_engine.h"

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "metrics/clock.h"
#include "net/engine_factory.h"
#include "net/socket.h"

namespace salvo::net {
namespace {

using metrics::Counter;

// Polls until `done` holds or `timeout` passes; returns whether it held.
bool Pump(Engine& e, const std::function<bool()>& done,
          absl::Duration timeout = absl::Seconds(10)) {
  const uint64_t deadline = metrics::MonoNanos() + absl::ToInt64Nanoseconds(timeout);
  while (!done()) {
    if (metrics::MonoNanos() > deadline) return false;
    EXPECT_TRUE(e.Poll(absl::Milliseconds(10)).ok());
  }
  return true;
}

SocketAddress Loopback(uint16_t port) {
  return *ResolveHostPort(absl::StrCat("127.0.0.1:", port), /*allow_zero_port=*/true);
}

// A server on the engine: echo (returns every byte), sink (reads and drops) or source (sends
// `source_bytes` to each connection, then closes its sending side).
class Server : public AcceptHandler, public ConnectionHandler {
 public:
  enum Mode { kEcho, kSink, kSource };
  Server(Engine& e, Mode mode, uint64_t source_bytes = 0)
      : e_(e), mode_(mode), source_bytes_(source_bytes), chunk_(64 * 1024, 's') {}

  uint16_t Start() {
    Fd fd = *ListenTcp(Loopback(0), {});
    const uint16_t port = LocalAddress(fd.get())->port();
    EXPECT_TRUE(e_.Listen(std::move(fd), this).ok());
    return port;
  }
  ConnectionHandler* OnAccept(ConnId id) override {
    ++accepted;
    conns_[id] = Conn{};
    if (mode_ == kSource) SendMore(id);
    return this;
  }
  void OnRecv(ConnId id, const uint8_t* data, size_t len) override {
    received += len;
    if (mode_ != kEcho) return;
    Conn& c = conns_[id];
    c.backlog.append(reinterpret_cast<const char*>(data), len);
    if (!c.sending) Flush(id);
  }
  void OnSendDone(ConnId id) override {
    Conn& c = conns_[id];
    c.sending = false;
    if (mode_ == kSource) {
      SendMore(id);
    } else {
      Flush(id);
    }
  }
  void OnClosed(ConnId id, absl::Status why) override {
    ++closed;
    conns_.erase(id);
  }

  uint64_t received = 0;
  uint64_t sent = 0;
  int accepted = 0;
  int closed = 0;

 private:
  struct Conn {
    std::string out;
    std::string backlog;
    bool sending = false;
    uint64_t left = 0;
    bool started = false;
  };
  void Flush(ConnId id) {
    Conn& c = conns_[id];
    if (c.backlog.empty()) return;
    c.out.swap(c.backlog);
    c.backlog.clear();
    c.sending = true;
    sent += c.out.size();
    e_.Send(id, reinterpret_cast<const uint8_t*>(c.out.data()), c.out.size());
  }
  void SendMore(ConnId id) {
    Conn& c = conns_[id];
    if (!c.started) {
      c.started = true;
      c.left = source_bytes_;
    }
    if (c.left == 0) {
      e_.ShutdownWrite(id);
      return;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(c.left, chunk_.size()));
    c.left -= n;
    c.sending = true;
    sent += n;
    e_.Send(id, reinterpret_cast<const uint8_t*>(chunk_.data()), n);
  }

  Engine& e_;
  Mode mode_;
  uint64_t source_bytes_;
  std::string chunk_;
  std::map<ConnId, Conn> conns_;
};

// Echo clients: each sends `message` and waits for all of it back, again and again.
class EchoClients : public ConnectionHandler {
 public:
  EchoClients(Engine& e, size_t size) : e_(e), message_(size, 'm') {}

  void Connect(uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<ConnId> id = e_.Connect(Loopback(port), this);
      ASSERT_TRUE(id.ok()) << id.status();
      state_[*id] = State{};
    }
  }
  void OnConnected(ConnId id, absl::Status status) override {
    State& s = state_[id];
    s.events.push_back('c');
    if (!status.ok()) {
      ++failed;
      last_error = status;
      state_.erase(id);
      return;
    }
    ++connected;
    SendOne(id);
  }
  void OnRecv(ConnId id, const uint8_t* data, size_t len) override {
    State& s = state_[id];
    s.events.push_back('r');
    s.got += len;
    if (s.got >= message_.size() && !s.sending) {
      s.got -= message_.size();
      s.outstanding = false;
      ++s.round_trips;
      ++round_trips;
      if (!stop) SendOne(id);
    }
  }
  void OnSendDone(ConnId id) override {
    State& s = state_[id];
    s.sending = false;
    if (s.got >= message_.size()) OnRecv(id, nullptr, 0);
  }
  void OnClosed(ConnId id, absl::Status why) override {
    ++closed;
    if (!why.ok()) last_error = why;
  }

  struct State {
    std::string events;  // 'c' connected, 'r' received, in order
    uint64_t got = 0;
    uint64_t round_trips = 0;
    bool sending = false;
    bool outstanding = false;  // a message sent whose echo has not all come back
  };
  std::map<ConnId, State> state_;
  int connected = 0;
  int failed = 0;
  int closed = 0;
  uint64_t round_trips = 0;
  bool stop = false;
  absl::Status last_error;

 private:
  void SendOne(ConnId id) {
    state_[id].sending = true;
    state_[id].outstanding = true;
    e_.Send(id, reinterpret_cast<const uint8_t*>(message_.data()), message_.size());
  }
  Engine& e_;
  std::string message_;
};

EnginePtr NewEngine(SendMode mode = SendMode::kCopy) {
  EngineOptions options;
  options.send_mode = mode;
  absl::StatusOr<EnginePtr> e = CreateEngine(EngineKind::kIocp, options);
  EXPECT_TRUE(e.ok()) << e.status();
  return std::move(*e);
}

class IocpTest : public ::testing::TestWithParam<SendMode> {};

INSTANTIATE_TEST_SUITE_P(SendModes, IocpTest, ::testing::Values(SendMode::kCopy, SendMode::kDirect),
                         [](const ::testing::TestParamInfo<SendMode>& info) {
                           return std::string(info.param == SendMode::kCopy ? "Copy" : "Direct");
                         });

TEST(IocpFactory, AutoIsIocpAndTheLinuxEnginesAndSendModesAreRefused) {
  EXPECT_EQ(ChooseEngine(EngineKind::kAuto, SendMode::kCopy)->kind, EngineKind::kIocp);
  EXPECT_EQ(ChooseEngine(EngineKind::kAuto, SendMode::kDirect)->kind, EngineKind::kIocp);
  const absl::StatusOr<EngineChoice> epoll = ChooseEngine(EngineKind::kEpoll, SendMode::kCopy);
  ASSERT_FALSE(epoll.ok());
  EXPECT_TRUE(absl::StrContains(epoll.status().message(), "runs on Linux")) << epoll.status();
  EXPECT_FALSE(ChooseEngine(EngineKind::kIocp, SendMode::kUringZc).ok());
  EXPECT_FALSE(ChooseEngine(EngineKind::kIocp, SendMode::kZeroCopy).ok());
  EXPECT_EQ(NewEngine()->name(), "iocp");
}

TEST_P(IocpTest, ConnectsThenEchoesOverLoopbackWithExactCounts) {
  EnginePtr e = NewEngine(GetParam());
  Server server(*e, Server::kEcho);
  const uint16_t port = server.Start();
  EchoClients clients(*e, 1000);
  clients.Connect(port, 4);
  ASSERT_TRUE(Pump(*e, [&] { return clients.round_trips >= 400; })) << clients.round_trips;
  clients.stop = true;
  ASSERT_TRUE(Pump(*e, [&] {
    for (auto& [id, s] : clients.state_) {
      if (s.outstanding) return false;
    }
    return true;
  }));
  EXPECT_EQ(clients.connected, 4);
  EXPECT_EQ(clients.failed, 0);
  // Every byte counted once on each side: what the clients sent, the server received and
  // returned, and the clients received.
  const metrics::CounterValues& c = e->counters();
  EXPECT_EQ(c[Counter::kBytesSent], clients.round_trips * 1000 + server.sent);
  EXPECT_EQ(c[Counter::kBytesReceived], clients.round_trips * 1000 + server.received);
  EXPECT_EQ(server.received, clients.round_trips * 1000);
  EXPECT_EQ(c[Counter::kConnectionsEstablished], 4u);  // the server's accepts
  EXPECT_EQ(c[Counter::kRecvErrors], 0u);
  EXPECT_EQ(c[Counter::kSendErrors], 0u);
  // A WSASend's completion is its only notification, in direct mode too: nothing is reported
  // as a zero-copy completion that never arrived separately.
  EXPECT_EQ(c[Counter::kZcSends], 0u);
  // Every message the clients sent took at least one WSASend completion.
  EXPECT_GE(c[Counter::kSendCalls], clients.round_trips);
}

TEST_P(IocpTest, TheReceiveIsArmedOnlyAfterTheConnectCompleted) {
  // The server speaks first, the moment it accepts; still every client sees its connect
  // complete before any byte, and no receive fails for want of a connection.
  EnginePtr e = NewEngine(GetParam());
  Server server(*e, Server::kSource, 10000);
  const uint16_t port = server.Start();
  struct Listener : ConnectionHandler {
    std::map<ConnId, std::string> events;  // 'c' connected, 'r' received, in order
    uint64_t got = 0;
    void OnConnected(ConnId id, absl::Status s) override { events[id] += s.ok() ? 'c' : 'f'; }
    void OnRecv(ConnId id, const uint8_t*, size_t len) override {
      events[id] += 'r';
      got += len;
    }
    void OnSendDone(ConnId) override {}
    void OnClosed(ConnId id, absl::Status) override { events[id] += 'x'; }
  } listener;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(e->Connect(Loopback(port), &listener).ok());
  ASSERT_TRUE(Pump(*e, [&] { return listener.got == 20 * 10000u; })) << listener.got;
  ASSERT_EQ(listener.events.size(), 20u);
  for (auto& [id, s] : listener.events) {
    EXPECT_EQ(s[0], 'c') << s;
    EXPECT_EQ(s.find_first_of("cf", 1), std::string::npos) << s;
  }
  EXPECT_EQ(e->counters()[Counter::kRecvErrors], 0u);
}

// Wake() from another thread ends a Poll that would otherwise wait ten seconds.
TEST(Iocp, WakeFromAnotherThreadEndsAWaitingPoll) {
  EnginePtr e = NewEngine();
  std::thread waker([&e] {
    absl::SleepFor(absl::Milliseconds(50));
    e->Wake();
  });
  const absl::Time began = absl::Now();
  ASSERT_TRUE(e->Poll(absl::Seconds(10)).ok());
  const absl::Duration took = absl::Now() - began;
  waker.join();
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(Iocp, ARefusedConnectIsReportedWithItsReasonAndErrno) {
  EnginePtr e = NewEngine();
  uint16_t port;
  {
    Fd fd = *ListenTcp(Loopback(0), {});
    port = LocalAddress(fd.get())->port();
  }  // closed: nothing listens there now
  EchoClients clients(*e, 10);
  clients.Connect(port, 1);
  ASSERT_TRUE(Pump(*e, [&] { return clients.failed == 1; }));
  EXPECT_TRUE(absl::StrContains(clients.last_error.message(), "refused")) << clients.last_error;
  EXPECT_EQ(ConnectErrno(clients.last_error), ECONNREFUSED);
  EXPECT_EQ(e->open_connections(), 0u);
}

TEST_P(IocpTest, ALargeSendCompletesOnceWhenEveryByteIsTaken) {
  EnginePtr e = NewEngine(GetParam());
  Server sink(*e, Server::kSink);
  const uint16_t port = sink.Start();
  const std::string big(8 << 20, 'b');
  struct Sender : ConnectionHandler {
    int done = 0;
    bool connected = false;
    void OnConnected(ConnId, absl::Status s) override { connected = s.ok(); }
    void OnRecv(ConnId, const uint8_t*, size_t) override {}
    void OnSendDone(ConnId) override { ++done; }
    void OnClosed(ConnId, absl::Status) override {}
  } sender;
  const ConnId id = *e->Connect(Loopback(port), &sender);
  ASSERT_TRUE(Pump(*e, [&] { return sender.connected; }));
  e->Send(id, reinterpret_cast<const uint8_t*>(big.data()), big.size());
  ASSERT_TRUE(Pump(*e, [&] { return sender.done == 1 && sink.received == big.size(); }))
      << sink.received;
  EXPECT_EQ(sender.done, 1);
  EXPECT_EQ(e->counters()[Counter::kBytesSent], big.size());
}

TEST_P(IocpTest, StreamInDeliversEveryByteTheServerSentThenTheClose) {
  EnginePtr e = NewEngine(GetParam());
  const uint64_t total = 3 << 20;
  Server source(*e, Server::kSource, total);
  const uint16_t port = source.Start();
  struct Reader : ConnectionHandler {
    uint64_t got = 0;
    int closed = 0;
    absl::Status why;
    void OnRecv(ConnId, const uint8_t*, size_t len) override { got += len; }
    void OnSendDone(ConnId) override {}
    void OnClosed(ConnId, absl::Status s) override {
      ++closed;
      why = s;
    }
  } reader;
  ASSERT_TRUE(e->Connect(Loopback(port), &reader).ok());
  ASSERT_TRUE(Pump(*e, [&] { return reader.closed == 1; }));
  EXPECT_TRUE(reader.why.ok()) << reader.why;  // the peer's FIN: an orderly close
  EXPECT_EQ(reader.got, total);
  EXPECT_EQ(source.sent, total);
  EXPECT_EQ(e->counters()[Counter::kClosedByPeer], 1u);
}

TEST(Iocp, FiveHundredConnectionsEachProgressInEveryInterval) {
  EnginePtr e = NewEngine();
  Server server(*e, Server::kEcho);
  const uint16_t port = server.Start();
  EchoClients clients(*e, 64);
  clients.Connect(port, 500);
  // Steady state first: every connection accepted and through its first round trip.
  ASSERT_TRUE(Pump(
      *e,
      [&] {
        if (server.accepted < 500) return false;
        for (auto& [id, s] : clients.state_) {
          if (s.round_trips == 0) return false;
        }
        return true;
      },
      absl::Seconds(60)))
      << clients.connected << " connected, " << server.accepted << " accepted";
  for (int interval = 0; interval < 3; ++interval) {
    std::map<ConnId, uint64_t> before;
    for (auto& [id, s] : clients.state_) before[id] = s.round_trips;
    const uint64_t end = metrics::MonoNanos() + 1'000'000'000ull;
    while (metrics::MonoNanos() < end) ASSERT_TRUE(e->Poll(absl::Milliseconds(10)).ok());
    int starved = 0;
    for (auto& [id, s] : clients.state_) starved += s.round_trips == before[id];
    EXPECT_EQ(starved, 0) << "interval " << interval;
  }
}

TEST_P(IocpTest, ClosingWithAPostedReceiveOrSendFreesTheSlotAndNothingFollows) {
  EnginePtr e = NewEngine(GetParam());
  Server sink(*e, Server::kSink);
  const uint16_t port = sink.Start();
  EchoClients clients(*e, 100);
  clients.stop = true;
  clients.Connect(port, 1);
  ASSERT_TRUE(Pump(*e, [&] { return clients.connected == 1; }));
  ConnId id = clients.state_.begin()->first;
  // A receive is posted (the sink never answers) and the send may be too.
  e->Close(id);
  EXPECT_EQ(e->open_connections(), 1u);  // the sink's side, until it reads the FIN
  const uint64_t end = metrics::MonoNanos() + 300'000'000ull;
  while (metrics::MonoNanos() < end) ASSERT_TRUE(e->Poll(absl::Milliseconds(10)).ok());
  EXPECT_EQ(clients.closed, 0);  // no callback after Close
  EXPECT_EQ(sink.closed, 1);
  EXPECT_EQ(e->open_connections(), 0u);
  EXPECT_EQ(e->counters()[Counter::kRecvErrors], 0u);

  // A large send that the peer never reads stays posted; closing cancels it.
  struct Quiet : ConnectionHandler {
    bool connected = false;
    int callbacks = 0;
    void OnConnected(ConnId, absl::Status s) override { connected = s.ok(); }
    void OnRecv(ConnId, const uint8_t*, size_t) override { ++callbacks; }
    void OnSendDone(ConnId) override { ++callbacks; }
    void OnClosed(ConnId, absl::Status) override { ++callbacks; }
  } quiet;
  Fd silent = *ListenTcp(Loopback(0), {});  // accepts in the kernel, never reads
  const ConnId stuck = *e->Connect(Loopback(LocalAddress(silent.get())->port()), &quiet);
  ASSERT_TRUE(Pump(*e, [&] { return quiet.connected; }));
  const std::string big(64 << 20, 'x');
  e->Send(stuck, reinterpret_cast<const uint8_t*>(big.data()), big.size());
  ASSERT_TRUE(e->Poll(absl::Milliseconds(50)).ok());
  e->Close(stuck);
  const uint64_t end2 = metrics::MonoNanos() + 300'000'000ull;
  while (metrics::MonoNanos() < end2) ASSERT_TRUE(e->Poll(absl::Milliseconds(10)).ok());
  EXPECT_EQ(quiet.callbacks, 0);
  EXPECT_EQ(e->open_connections(), 0u);

  // The slots are reusable: a fresh connection echoes normally.
  EchoClients again(*e, 100);
  Server echo(*e, Server::kEcho);
  again.Connect(echo.Start(), 2);
  ASSERT_TRUE(Pump(*e, [&] { return again.round_trips >= 20; }));
}

TEST(Iocp, PausedConnectionsReceiveNothingUntilResumed) {
  EnginePtr e = NewEngine();
  Server source(*e, Server::kSource, 100000);
  const uint16_t port = source.Start();
  struct Reader : ConnectionHandler {
    Engine* e = nullptr;
    uint64_t got = 0;
    bool connected = false;
    void OnConnected(ConnId id, absl::Status s) override {
      connected = s.ok();
      e->SetReceiving(id, false);
    }
    void OnRecv(ConnId, const uint8_t*, size_t len) override { got += len; }
    void OnSendDone(ConnId) override {}
    void OnClosed(ConnId, absl::Status) override {}
  } reader;
  reader.e = e.get();
  const ConnId id = *e->Connect(Loopback(port), &reader);
  ASSERT_TRUE(Pump(*e, [&] { return reader.connected; }));
  const uint64_t end = metrics::MonoNanos() + 300'000'000ull;
  while (metrics::MonoNanos() < end) ASSERT_TRUE(e->Poll(absl::Milliseconds(10)).ok());
  EXPECT_EQ(reader.got, 0u);
  e->SetReceiving(id, true);
  ASSERT_TRUE(Pump(*e, [&] { return reader.got == 100000; })) << reader.got;
}

TEST(Iocp, TimersFireFromPollAtTheirInstantAndCancelledOnesDoNot) {
  EnginePtr e = NewEngine();
  struct Recorder : TimerHandler {
    std::vector<std::pair<TimerId, uint64_t>> fired;
    void OnTimer(TimerId id) override { fired.push_back({id, metrics::MonoNanos()}); }
  } recorder;
  const uint64_t now = metrics::MonoNanos();
  const TimerId a = e->ScheduleAt(now + 50'000'000, &recorder);
  const TimerId b = e->ScheduleAt(now + 20'000'000, &recorder);
  const TimerId c = e->ScheduleAt(now + 30'000'000, &recorder);
  e->CancelTimer(c);
  ASSERT_TRUE(Pump(
      *e, [&] { return recorder.fired.size() == 2; }, absl::Seconds(5)));
  EXPECT_EQ(recorder.fired[0].first, b);
  EXPECT_EQ(recorder.fired[1].first, a);
  EXPECT_GE(recorder.fired[0].second, now + 20'000'000);
  EXPECT_GE(recorder.fired[1].second, now + 50'000'000);
  // A Poll with nothing to do waits for the next timer, not for its whole timeout.
  const uint64_t start = metrics::MonoNanos();
  e->ScheduleAt(start + 30'000'000, &recorder);
  ASSERT_TRUE(e->Poll(absl::Seconds(5)).ok());
  EXPECT_LT(metrics::MonoNanos() - start, 2'000'000'000ull);
}

TEST(Iocp, DestroyingTheEngineWithPostedOperationsIsClean) {
  Server* leaked = nullptr;
  {
    EnginePtr e = NewEngine();
    leaked = new Server(*e, Server::kSink);
    const uint16_t port = leaked->Start();
    EchoClients clients(*e, 10);
    clients.stop = true;
    clients.Connect(port, 50);
    ASSERT_TRUE(Pump(*e, [&] { return clients.connected == 50; }));
  }  // receives and accepts posted: the engine drains their cancellations before it goes
  delete leaked;
  EnginePtr e = NewEngine();
  Server server(*e, Server::kEcho);
  EchoClients clients(*e, 10);
  clients.Connect(server.Start(), 1);
  ASSERT_TRUE(Pump(*e, [&] { return clients.round_trips >= 5; }));
}

}  // namespace
}  // namespace salvo::net
