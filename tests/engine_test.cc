#include "net/engine_factory.h"
#include "net/epoll_engine.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "metrics/thread_stats.h"
#include "net/socket.h"

namespace salvo::net {
namespace {

using metrics::Stat;

// A loopback listener on port 0 that the test accepts from with plain blocking calls.
struct Listener {
  Fd fd;
  SocketAddress address;

  static Listener Open() {
    Listener l;
    l.fd = *ListenTcp(*ResolveHostPort("127.0.0.1:0", true), ListenOptions{});
    l.address = *LocalAddress(l.fd.get());
    return l;
  }
  // Accepts one connection, waiting up to 5 s while `engine` runs (a completion engine only
  // submits its connect when polled); the accepted socket is blocking.
  Fd Accept(Engine* engine = nullptr) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      if (engine != nullptr) (void)engine->Poll(absl::Milliseconds(1));
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, engine == nullptr ? 5000 : 1) == 1) {
        return Fd(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      }
    }
    return Fd();
  }
};

struct Recorder : ConnectionHandler {
  std::vector<absl::Status> connected;
  std::string received;
  int recv_calls = 0;
  int sends_done = 0;
  std::vector<absl::Status> closed;
  void OnConnected(ConnId, absl::Status s) override { connected.push_back(s); }
  void OnRecv(ConnId, const uint8_t* data, size_t len) override {
    received.append(reinterpret_cast<const char*>(data), len);
    ++recv_calls;
  }
  void OnSendDone(ConnId) override { ++sends_done; }
  void OnClosed(ConnId, absl::Status why) override { closed.push_back(why); }
};

struct EngineParam {
  EngineKind kind;
  SendMode mode;
};

void PrintTo(const EngineParam& p, std::ostream* os) {
  *os << EngineKindName(p.kind) << "/" << SendModeName(p.mode);
}

std::string ParamName(const ::testing::TestParamInfo<EngineParam>& info) {
  std::string name =
      absl::StrCat(EngineKindName(info.param.kind), "_", SendModeName(info.param.mode));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// An engine of the kind the test picks, with its stats, and a way to run it until something
// holds.
class EngineFixture {
 protected:
  absl::Status MakeEngine(EngineKind kind, SendMode mode) {
    options_.stats = &registry_.Local(0);
    options_.send_mode = mode;
    absl::StatusOr<EnginePtr> engine = CreateEngine(kind, options_);
    if (!engine.ok()) return engine.status();
    engine_ = std::move(*engine);
    return absl::OkStatus();
  }
  void PollUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done() && absl::Now() < deadline)
      ASSERT_TRUE(engine_->Poll(absl::Milliseconds(5)).ok());
  }
  metrics::StatsRegistry registry_;
  EngineOptions options_;
  EnginePtr engine_;
};

class EngineTest : public EngineFixture, public ::testing::TestWithParam<EngineParam> {
 protected:
  void SetUp() override {
    if (GetParam().kind == EngineKind::kIoUring && !IoUringAvailable().ok()) {
      GTEST_SKIP() << "io_uring is not available here: " << IoUringAvailable().message();
    }
    const absl::Status made = MakeEngine(GetParam().kind, GetParam().mode);
    ASSERT_TRUE(made.ok()) << made;
  }
  bool zero_copy() const { return GetParam().mode != SendMode::kCopy; }
};

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest,
                         ::testing::Values(EngineParam{EngineKind::kEpoll, SendMode::kCopy},
                                           EngineParam{EngineKind::kEpoll, SendMode::kZeroCopy},
                                           EngineParam{EngineKind::kIoUring, SendMode::kCopy},
                                           EngineParam{EngineKind::kIoUring, SendMode::kUringZc}),
                         ParamName);

TEST_P(EngineTest, ConnectsThenSendsAndReceivesOverLoopback) {
  Listener listener = Listener::Open();
  Recorder r;
  absl::StatusOr<ConnId> id = engine_->Connect(listener.address, &r);
  ASSERT_TRUE(id.ok()) << id.status();
  Fd peer = listener.Accept(engine_.get());
  ASSERT_TRUE(peer.valid());
  PollUntil([&] { return !r.connected.empty(); });
  ASSERT_EQ(r.connected.size(), 1u);
  ASSERT_TRUE(r.connected[0].ok());

  const std::string message = "hello, salvo";
  engine_->Send(*id, reinterpret_cast<const uint8_t*>(message.data()), message.size());
  PollUntil([&] { return r.sends_done == 1; });
  char buf[64] = {0};
  ASSERT_EQ(::recv(peer.get(), buf, sizeof(buf), 0), static_cast<ssize_t>(message.size()));
  EXPECT_EQ(std::string(buf, message.size()), message);

  ASSERT_EQ(::send(peer.get(), "pong", 4, 0), 4);
  PollUntil([&] { return r.received.size() == 4; });
  EXPECT_EQ(r.received, "pong");

  const metrics::StatsSnapshot s = registry_.Snapshot();
  EXPECT_EQ(s.Get(Stat::kBytesSent), message.size());
  EXPECT_EQ(s.Get(Stat::kBytesReceived), 4u);
  EXPECT_GE(s.Get(Stat::kSendCalls), 1u);
  EXPECT_GE(s.Get(Stat::kRecvCalls), 1u);

  peer.Reset();
  PollUntil([&] { return !r.closed.empty(); });
  ASSERT_EQ(r.closed.size(), 1u);
  EXPECT_TRUE(r.closed[0].ok()) << r.closed[0];
  EXPECT_EQ(registry_.Snapshot().Get(Stat::kClosedByPeer), 1u);
  EXPECT_EQ(engine_->open_connections(), 0u);
}

TEST_P(EngineTest, RefusedConnectIsReportedWithItsReason) {
  SocketAddress closed_port;
  {
    Listener l = Listener::Open();
    closed_port = l.address;
  }  // the port is free again: nothing listens there
  Recorder r;
  absl::StatusOr<ConnId> id = engine_->Connect(closed_port, &r);
  ASSERT_TRUE(id.ok());
  PollUntil([&] { return !r.connected.empty(); });
  ASSERT_EQ(r.connected.size(), 1u);
  EXPECT_FALSE(r.connected[0].ok());
  EXPECT_NE(r.connected[0].message().find("refused"), std::string::npos) << r.connected[0];
  EXPECT_EQ(engine_->open_connections(), 0u);
}

TEST_P(EngineTest, LargeSendCompletesOnlyWhenEveryByteIsTaken) {
  Listener listener = Listener::Open();
  Recorder r;
  ConnId id = *engine_->Connect(listener.address, &r);
  Fd peer = listener.Accept(engine_.get());
  PollUntil([&] { return !r.connected.empty(); });
  std::vector<uint8_t> big(16 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 31 + 7);
  engine_->Send(id, big.data(), big.size());
  // Let the engine hand the kernel what fits.
  // Nobody reads yet: the socket buffers fill and the send must still be pending.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(engine_->Poll(absl::Milliseconds(5)).ok());
  EXPECT_EQ(r.sends_done, 0);
  if (GetParam().kind == EngineKind::kEpoll) {
    EXPECT_GT(registry_.Snapshot().Get(Stat::kSendWouldBlock), 0u);
  }
  std::vector<uint8_t> got;
  got.reserve(big.size());
  ::fcntl(peer.get(), F_SETFL, O_NONBLOCK);
  std::vector<uint8_t> buf(1 << 16);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (got.size() < big.size() && absl::Now() < deadline) {
    ASSERT_TRUE(engine_->Poll(absl::Milliseconds(1)).ok());
    const ssize_t n = ::recv(peer.get(), buf.data(), buf.size(), 0);
    if (n > 0) got.insert(got.end(), buf.begin(), buf.begin() + n);
  }
  PollUntil([&] { return r.sends_done == 1; });
  EXPECT_EQ(r.sends_done, 1);
  if (zero_copy()) {
    // Done means every zero-copy send of the buffer has been released by the kernel.
    const metrics::StatsSnapshot s = registry_.Snapshot();
    EXPECT_EQ(s.Get(Stat::kZcSends), s.Get(Stat::kSendCalls));
  }
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
  EXPECT_EQ(registry_.Snapshot().Get(Stat::kBytesSent), big.size());
}

class EpollFairness : public EngineFixture, public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(MakeEngine(EngineKind::kEpoll, SendMode::kCopy).ok()); }
};

TEST_F(EpollFairness, EveryReadyConnectionIsServedInEachPoll) {
  // The origin notes' starved receiver: with many connections full of data, one Poll must give
  // each of them a turn instead of draining one connection while the others wait.
  constexpr int kConns = 40;
  Listener listener = Listener::Open();
  std::vector<Recorder> recorders(kConns);
  std::vector<Fd> peers;
  for (int i = 0; i < kConns; ++i) {
    ASSERT_TRUE(engine_->Connect(listener.address, &recorders[i]).ok());
    peers.push_back(listener.Accept(engine_.get()));
  }
  PollUntil([&] {
    for (auto& r : recorders) {
      if (r.connected.empty()) return false;
    }
    return true;
  });
  std::vector<char> payload(256 * 1024, 'x');
  for (Fd& p : peers) {
    ::fcntl(p.get(), F_SETFL, O_NONBLOCK);
    ASSERT_GT(::send(p.get(), payload.data(), payload.size(), 0), 100000);
  }
  ASSERT_TRUE(engine_->Poll(absl::Milliseconds(100)).ok());
  for (int i = 0; i < kConns; ++i) {
    EXPECT_EQ(recorders[i].recv_calls, 1) << "connection " << i;
    EXPECT_LE(recorders[i].received.size(), options_.recv_chunk_bytes);
  }
}

TEST_P(EngineTest, PausedConnectionsReceiveNothingUntilResumed) {
  Listener listener = Listener::Open();
  Recorder r;
  ConnId id = *engine_->Connect(listener.address, &r);
  Fd peer = listener.Accept(engine_.get());
  PollUntil([&] { return !r.connected.empty(); });
  engine_->SetReceiving(id, false);
  ASSERT_EQ(::send(peer.get(), "abc", 3, 0), 3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(engine_->Poll(absl::Milliseconds(5)).ok());
  EXPECT_EQ(r.recv_calls, 0);
  engine_->SetReceiving(id, true);
  PollUntil([&] { return r.received == "abc"; });
  EXPECT_EQ(r.received, "abc");
}

TEST_P(EngineTest, AcceptsAndHandsEachConnectionToItsHandler) {
  struct EchoAcceptor : AcceptHandler, ConnectionHandler {
    Engine* engine;
    std::map<ConnId, std::string> buffers;
    ConnectionHandler* OnAccept(ConnId) override { return this; }
    void OnRecv(ConnId id, const uint8_t* d, size_t n) override {
      buffers[id].assign(reinterpret_cast<const char*>(d), n);
      engine->Send(id, reinterpret_cast<const uint8_t*>(buffers[id].data()), n);
    }
    void OnSendDone(ConnId) override {}
    void OnClosed(ConnId, absl::Status) override {}
  } acceptor;
  acceptor.engine = engine_.get();
  Fd lfd = *ListenTcp(*ResolveHostPort("127.0.0.1:0", true), ListenOptions{});
  const SocketAddress address = *LocalAddress(lfd.get());
  ASSERT_TRUE(engine_->Listen(std::move(lfd), &acceptor).ok());
  Recorder client;
  ConnId id = *engine_->Connect(address, &client);
  PollUntil([&] { return !client.connected.empty(); });
  engine_->Send(id, reinterpret_cast<const uint8_t*>("ping"), 4);
  PollUntil([&] { return client.received.size() == 4; });
  EXPECT_EQ(client.received, "ping");
  EXPECT_EQ(registry_.Snapshot().Get(Stat::kConnectionsEstablished), 1u);  // the accept
}

}  // namespace
}  // namespace salvo::net

namespace salvo::net {
namespace {

// A sender that rewrites its buffer the moment a send is reported done. If the engine reported
// a zero-copy send done before the kernel released the pages, the notification count would lag
// the send count at that moment (and, on a NIC that really reads user pages, the peer would see
// the rewritten bytes).
struct Scribbler : ConnectionHandler {
  Engine* engine = nullptr;
  metrics::StatsRegistry* registry = nullptr;
  ConnId id = 0;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(256 * 1024);
  int rounds = 0;
  int early = 0;
  uint8_t next = 1;
  void SendRound() {
    std::fill(buffer.begin(), buffer.end(), next);
    engine->Send(id, buffer.data(), buffer.size());
  }
  void OnRecv(ConnId, const uint8_t*, size_t) override {}
  void OnSendDone(ConnId) override {
    const metrics::StatsSnapshot s = registry->Snapshot();
    if (s.Get(metrics::Stat::kZcSends) != s.Get(metrics::Stat::kSendCalls)) ++early;
    std::fill(buffer.begin(), buffer.end(), 0xEE);  // the rewrite
    ++rounds;
    ++next;
    if (rounds < 40) SendRound();
  }
  void OnClosed(ConnId, absl::Status) override {}
};

// The zero-copy send modes only: a copying send owns no buffer after its call.
class ZeroCopyEngineTest : public EngineTest {};

INSTANTIATE_TEST_SUITE_P(ZeroCopy, ZeroCopyEngineTest,
                         ::testing::Values(EngineParam{EngineKind::kEpoll, SendMode::kZeroCopy},
                                           EngineParam{EngineKind::kIoUring, SendMode::kUringZc}),
                         ParamName);

TEST_P(ZeroCopyEngineTest, BuffersAreNotReleasedBeforeTheirCompletion) {
  Listener listener = Listener::Open();
  Scribbler s;
  s.engine = engine_.get();
  s.registry = &registry_;
  s.id = *engine_->Connect(listener.address, &s);
  Fd peer = listener.Accept(engine_.get());
  ASSERT_TRUE(peer.valid());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(engine_->Poll(absl::Milliseconds(5)).ok());
  s.SendRound();
  ::fcntl(peer.get(), F_SETFL, O_NONBLOCK);
  std::vector<uint8_t> buf(1 << 16);
  uint64_t received = 0;
  uint64_t wrong = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (received < 40u * s.buffer.size() && absl::Now() < deadline) {
    ASSERT_TRUE(engine_->Poll(absl::Milliseconds(1)).ok());
    ssize_t n;
    while ((n = ::recv(peer.get(), buf.data(), buf.size(), 0)) > 0) {
      for (ssize_t i = 0; i < n; ++i) {
        // Round k's bytes all carry the value k + 1.
        wrong += buf[i] != static_cast<uint8_t>(1 + (received + i) / s.buffer.size());
      }
      received += static_cast<uint64_t>(n);
    }
  }
  // The last round is done only once its completion has come, which may follow its bytes.
  PollUntil([&] { return s.rounds == 40; });
  EXPECT_EQ(s.rounds, 40);
  EXPECT_EQ(received, 40u * s.buffer.size());
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(s.early, 0) << "sends reported done before their zero-copy completion";
}

TEST_P(ZeroCopyEngineTest, LoopbackSendsAreReportedAsCopied) {
  Listener listener = Listener::Open();
  Recorder r;
  ConnId id = *engine_->Connect(listener.address, &r);
  Fd peer = listener.Accept(engine_.get());
  PollUntil([&] { return !r.connected.empty(); });
  std::vector<uint8_t> data(64 * 1024, 7);
  ::fcntl(peer.get(), F_SETFL, O_NONBLOCK);
  std::vector<uint8_t> sink(1 << 16);
  for (int round = 0; round < 10; ++round) {
    engine_->Send(id, data.data(), data.size());
    PollUntil([&] {
      while (::recv(peer.get(), sink.data(), sink.size(), 0) > 0) {
      }
      return r.sends_done == round + 1;
    });
  }
  const metrics::StatsSnapshot s = registry_.Snapshot();
  EXPECT_GT(s.Get(Stat::kZcSends), 0u);
  // The kernel copies every TCP zero-copy send that stays on this machine.
  EXPECT_EQ(s.Get(Stat::kZcCopied), s.Get(Stat::kZcSends));
  EXPECT_GT(s.timing(metrics::Timing::kZcCompletion).count(), 0u);
  EXPECT_GT(s.timing(metrics::Timing::kSendCall).count(), 0u);
}

}  // namespace
}  // namespace salvo::net
