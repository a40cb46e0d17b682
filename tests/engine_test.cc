#include "net/engine_factory.h"
#include "net/epoll_engine.h"
#include "net/io_uring_engine.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "metrics/clock.h"
#include "metrics/thread_stats.h"
#include "net/socket.h"
#include "tests/test_util.h"

namespace salvo::net {
namespace {

using metrics::Counter;

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
  *os << kEngineKinds.Name(p.kind) << "/" << kSendModes.Name(p.mode);
}

std::string ParamName(const ::testing::TestParamInfo<EngineParam>& info) {
  std::string name =
      absl::StrCat(kEngineKinds.Name(info.param.kind), "_", kSendModes.Name(info.param.mode));
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
    options_.timings = registry_.Local(0).timings();
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

  const metrics::CounterValues& s = engine_->counters();
  EXPECT_EQ(s[Counter::kBytesSent], message.size());
  EXPECT_EQ(s[Counter::kBytesReceived], 4u);
  EXPECT_GE(s[Counter::kSendCalls], 1u);
  EXPECT_GE(s[Counter::kRecvCalls], 1u);

  peer.Reset();
  PollUntil([&] { return !r.closed.empty(); });
  ASSERT_EQ(r.closed.size(), 1u);
  EXPECT_TRUE(r.closed[0].ok()) << r.closed[0];
  EXPECT_EQ(engine_->counters()[Counter::kClosedByPeer], 1u);
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
    EXPECT_GT(engine_->counters()[Counter::kSendWouldBlock], 0u);
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
    const metrics::CounterValues& s = engine_->counters();
    EXPECT_EQ(s[Counter::kZcSends], s[Counter::kSendCalls]);
  }
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
  EXPECT_EQ(engine_->counters()[Counter::kBytesSent], big.size());
}

struct Ticker : TimerHandler {
  std::vector<std::pair<TimerId, uint64_t>> fired;  // id, when
  void OnTimer(TimerId id) override { fired.emplace_back(id, metrics::MonoNanos()); }
};

TEST_P(EngineTest, TimersFireFromPollAtTheirInstantAndCancelledOnesDoNot) {
  Ticker t;
  const uint64_t start = metrics::MonoNanos();
  const TimerId late = engine_->ScheduleAt(start + 30'000'000, &t);
  const TimerId early = engine_->ScheduleAt(start + 10'000'000, &t);
  const TimerId cancelled = engine_->ScheduleAt(start + 20'000'000, &t);
  engine_->CancelTimer(cancelled);
  // A long poll timeout must not delay a timer: the engine bounds its wait by the next one.
  while (t.fired.size() < 2 && metrics::MonoNanos() - start < 2'000'000'000) {
    ASSERT_TRUE(engine_->Poll(absl::Seconds(5)).ok());
  }
  ASSERT_EQ(t.fired.size(), 2u);
  EXPECT_EQ(t.fired[0].first, early);
  EXPECT_EQ(t.fired[1].first, late);
  EXPECT_GE(t.fired[0].second, start + 10'000'000);
  EXPECT_GE(t.fired[1].second, start + 30'000'000);
  // Loose upper bound: a loaded CI machine may schedule the thread late, but not by 200 ms.
  EXPECT_LT(t.fired[1].second, start + 230'000'000);
}

// Wake() from another thread ends a Poll that would otherwise wait ten seconds, and a wake that
// comes before the Poll makes it return at once: how a stop or a sample request reaches an idle
// worker.
TEST_P(EngineTest, WakeFromAnotherThreadEndsAWaitingPoll) {
  for (int round = 0; round < 3; ++round) {
    std::thread waker([this] {
      absl::SleepFor(absl::Milliseconds(50));
      engine_->Wake();
    });
    const absl::Time began = absl::Now();
    ASSERT_TRUE(engine_->Poll(absl::Seconds(10)).ok());
    const absl::Duration took = absl::Now() - began;
    waker.join();
    EXPECT_LT(took, absl::Seconds(2)) << "round " << round;
  }
  engine_->Wake();
  const absl::Time began = absl::Now();
  ASSERT_TRUE(engine_->Poll(absl::Seconds(10)).ok());
  EXPECT_LT(absl::Now() - began, absl::Seconds(2));
  // Consumed: the next Poll waits again.
  const absl::Time again = absl::Now();
  ASSERT_TRUE(engine_->Poll(absl::Milliseconds(200)).ok());
  EXPECT_GE(absl::Now() - again, absl::Milliseconds(150));
}

TEST_P(EngineTest, TcpInfoCountsWhatThePeerAcknowledged) {
  Listener listener = Listener::Open();
  Recorder r;
  absl::StatusOr<ConnId> id = engine_->Connect(listener.address, &r);
  ASSERT_TRUE(id.ok());
  Fd peer = listener.Accept(engine_.get());
  PollUntil([&] { return !r.connected.empty(); });
  std::vector<uint8_t> data(300000, 'z');
  engine_->Send(*id, data.data(), data.size());
  size_t drained = 0;
  std::vector<char> buf(65536);
  ::fcntl(peer.get(), F_SETFL, O_NONBLOCK);
  PollUntil([&] {
    const ssize_t n = ::recv(peer.get(), buf.data(), buf.size(), 0);
    if (n > 0) drained += static_cast<size_t>(n);
    return drained == data.size() && r.sends_done == 1;
  });
  ASSERT_EQ(drained, data.size());
  absl::StatusOr<TcpInfo> info;
  ASSERT_TRUE(salvo::testing::WaitFor(
      [&] {
        info = engine_->ReadTcpInfo(*id);
        return info.ok() && info->bytes_acked >= data.size();
      },
      absl::Seconds(5)));
  EXPECT_TRUE(info->has_bytes_acked);
  // The kernel counts the acknowledged SYN as one byte: the peer acknowledged every data byte
  // and nothing else.
  EXPECT_EQ(info->bytes_acked, data.size() + 1);
  EXPECT_GT(info->length, 100u);
  EXPECT_GT(info->rtt_us, 0u);
  if (info->has_snd_wnd) {
    EXPECT_GT(info->snd_wnd, 0u);
  }
  EXPECT_FALSE(engine_->ReadTcpInfo(*id + 1000).ok());
}

TEST_P(EngineTest, SupportsAgreesWithTheFactorysRule) {
  for (SendMode m : {SendMode::kCopy, SendMode::kZeroCopy, SendMode::kUringZc}) {
    EXPECT_EQ(engine_->Supports(m), EngineSupports(GetParam().kind, m)) << kSendModes.Name(m);
  }
  EXPECT_TRUE(engine_->Supports(GetParam().mode));
}

// Receives are cut into 16 KiB pieces, so each connection below has three pieces pending.
class FairnessTest : public EngineTest {
 protected:
  void SetUp() override {
    options_.recv_chunk_bytes = 16 * 1024;
    EngineTest::SetUp();
  }
};

INSTANTIATE_TEST_SUITE_P(Fairness, FairnessTest,
                         ::testing::Values(EngineParam{EngineKind::kEpoll, SendMode::kCopy},
                                           EngineParam{EngineKind::kIoUring, SendMode::kCopy}),
                         ParamName);

TEST_P(FairnessTest, EveryReadyConnectionIsServedInOnePoll) {
  // The origin notes' starved receiver: with many connections full of data, one Poll must give
  // each of them a turn instead of draining one connection while the others wait. epoll does
  // exactly one bounded recv per connection; io_uring delivers what each connection's multishot
  // receive completed, at least one buffer each.
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
  // 48 KiB fits in a fresh socket's receive window, so all of it reaches the engine's side.
  std::vector<char> payload(48 * 1024, 'x');
  for (Fd& p : peers) {
    ::fcntl(p.get(), F_SETFL, O_NONBLOCK);
    ASSERT_EQ(::send(p.get(), payload.data(), payload.size(), 0),
              static_cast<ssize_t>(payload.size()));
  }
  // Wait until the kernel has every byte queued at the receivers, then give the engine one turn.
  for (Fd& p : peers) {
    ASSERT_TRUE(salvo::testing::WaitFor(
        [&] {
          int queued = 0;
          ::ioctl(p.get(), SIOCOUTQ, &queued);
          return queued == 0;
        },
        absl::Seconds(5)));
  }
  ASSERT_TRUE(engine_->Poll(absl::Milliseconds(100)).ok());
  size_t least = SIZE_MAX, most = 0;
  for (int i = 0; i < kConns; ++i) {
    EXPECT_GE(recorders[i].recv_calls, 1) << "connection " << i << " was starved";
    least = std::min(least, recorders[i].received.size());
    most = std::max(most, recorders[i].received.size());
    if (GetParam().kind == EngineKind::kEpoll) {
      EXPECT_EQ(recorders[i].recv_calls, 1) << "connection " << i;
      EXPECT_LE(recorders[i].received.size(), options_.recv_chunk_bytes);
    }
  }
  EXPECT_GT(least, 0u);
  std::cerr << "one poll: least " << least << " bytes, most " << most << " bytes per connection\n";
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
  EXPECT_EQ(engine_->counters()[Counter::kConnectionsEstablished], 1u);  // the accept
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
    const metrics::CounterValues& s = engine->counters();
    if (s[Counter::kZcSends] != s[Counter::kSendCalls]) ++early;
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
  const metrics::CounterValues& s = engine_->counters();
  EXPECT_GT(s[Counter::kZcSends], 0u);
  // The kernel copies every TCP zero-copy send that stays on this machine.
  EXPECT_EQ(s[Counter::kZcCopied], s[Counter::kZcSends]);
  const metrics::StatsSnapshot timed = registry_.Snapshot();
  EXPECT_GT(timed.timing(metrics::Timing::kZcCompletion).count(), 0u);
  EXPECT_GT(timed.timing(metrics::Timing::kSendCall).count(), 0u);
}

TEST(EngineMemory, AnIoUringWorkerIsSizedForItsConnections) {
  // A worker with one connection once held 256 x 64 KiB buffers and 4096/32768-entry rings
  // (about 17 MiB); 32 such workers cost 571 MB. Now the rings and buffers follow its share.
  EngineOptions one, many, unknown;
  one.expected_connections = 1;
  many.expected_connections = 10000;
  const uint64_t small = EngineMemoryBytes(EngineKind::kIoUring, one);
  const uint64_t large = EngineMemoryBytes(EngineKind::kIoUring, many);
  EXPECT_LT(small, 2u << 20) << small;
  // Many connections: 256 buffers of 64 KiB, of which a run touches only what it receives into.
  EXPECT_GT(large, 16u << 20) << large;
  EXPECT_LT(large, 17u << 20) << large;
  EXPECT_EQ(EngineMemoryBytes(EngineKind::kIoUring, unknown), large);
  const IoUringEngine::Sizes s = IoUringEngine::SizesFor(100);
  EXPECT_EQ(s.sq_entries, 512u);
  EXPECT_EQ(s.buffers, 256u);  // 2 per connection, up to 256
  // Engines this small carry real runs in the agent tests (one connection per worker).
}

TEST(EngineMemory, ARunThatCannotFitInMemoryIsRefusedBeforeAllocating) {
  const uint64_t available = AvailableMemoryBytes();
  ASSERT_GT(available, 0u);
  EXPECT_TRUE(CheckMemory(available / 4, "a test").ok());
  const absl::Status s = CheckMemory(available * 4, "a 1GiB message and 8 io_uring workers");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("a 1GiB message and 8 io_uring workers need about"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace salvo::net
