#include "target/target_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/socket.h"
#include "tests/test_util.h"
#include "workload/pattern.h"

namespace salvo::target {
namespace {

// A blocking loopback client.
net::Fd Dial(uint16_t port) {
  net::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return net::Fd();
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

bool ReadExactly(int fd, uint8_t* out, size_t len) {
  while (len > 0) {
    const ssize_t n = ::recv(fd, out, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

std::unique_ptr<TargetServer> StartTarget(TargetMode mode, int threads = 1,
                                          uint64_t size = 64 * 1024) {
  TargetConfig config;
  config.listen = "127.0.0.1:0";
  config.mode = mode;
  config.threads = threads;
  config.message_size = size;
  absl::StatusOr<std::unique_ptr<TargetServer>> s = TargetServer::Start(config);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

TEST(TargetServer, EchoReturnsEveryByteInOrder) {
  auto server = StartTarget(TargetMode::kEcho);
  net::Fd c = Dial(server->port());
  ASSERT_TRUE(c.valid());
  workload::Pattern pattern(1 << 20);
  // Writer and reader run together so neither side's buffers can fill up and stall.
  std::thread writer([&] {
    size_t sent = 0;
    while (sent < (1u << 20)) {
      const ssize_t n = ::send(c.get(), pattern.At(sent), std::min<size_t>(65536, (1 << 20) - sent),
                               MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  });
  std::vector<uint8_t> back(1 << 20);
  ASSERT_TRUE(ReadExactly(c.get(), back.data(), back.size()));
  writer.join();
  EXPECT_EQ(workload::Pattern::CountMismatches(0, back.data(), back.size()), 0u);
  c.Reset();
  ASSERT_TRUE(testing::WaitFor([&] { return server->Totals().counters().closed_by_peer() == 1; },
                               absl::Seconds(5)));
  const v1::TargetTotals t = server->Totals();
  EXPECT_EQ(t.counters().connections_established(), 1u);
  EXPECT_EQ(t.counters().bytes_received(), 1u << 20);
  EXPECT_EQ(t.counters().bytes_sent(), 1u << 20);
  EXPECT_GT(t.counters().recv_calls(), 0u);
  EXPECT_GT(t.counters().send_calls(), 0u);
}

TEST(TargetServer, SinkCountsWhatItReadsAndSendsNothing) {
  auto server = StartTarget(TargetMode::kSink, 2);
  std::vector<char> data(100000, 'z');
  for (int i = 0; i < 4; ++i) {
    net::Fd c = Dial(server->port());
    ASSERT_TRUE(c.valid());
    ASSERT_EQ(::send(c.get(), data.data(), data.size(), MSG_NOSIGNAL), 100000);
  }
  ASSERT_TRUE(testing::WaitFor([&] { return server->Totals().counters().closed_by_peer() == 4; },
                               absl::Seconds(5)));
  EXPECT_EQ(server->Totals().counters().bytes_received(), 400000u);
  EXPECT_EQ(server->Totals().counters().bytes_sent(), 0u);
  EXPECT_EQ(server->Totals().counters().connections_established(), 4u);
}

TEST(TargetServer, SourcePushesThePatternFromTheFirstByte) {
  auto server = StartTarget(TargetMode::kSource, 1, 1000);
  net::Fd c = Dial(server->port());
  ASSERT_TRUE(c.valid());
  std::vector<uint8_t> got(3 << 20);
  ASSERT_TRUE(ReadExactly(c.get(), got.data(), got.size()));
  EXPECT_EQ(workload::Pattern::CountMismatches(0, got.data(), got.size()), 0u);
  // The engine publishes its counters once per loop turn: wait for the turn that sent these.
  EXPECT_TRUE(testing::WaitFor(
      [&] { return server->Totals().counters().bytes_sent() >= got.size(); }, absl::Seconds(2)))
      << server->Totals().counters().bytes_sent();
}

TEST(TargetServer, ThreadsShareOnePortAndEchoOnEach) {
  auto server = StartTarget(TargetMode::kEcho, 3);
  std::vector<net::Fd> clients;
  for (int i = 0; i < 12; ++i) clients.push_back(Dial(server->port()));
  for (auto& c : clients) {
    ASSERT_TRUE(c.valid());
    ASSERT_EQ(::send(c.get(), "12345678", 8, 0), 8);
    uint8_t buf[8];
    ASSERT_TRUE(ReadExactly(c.get(), buf, 8));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 8), "12345678");
  }
  EXPECT_EQ(server->Totals().counters().connections_established(), 12u);
}

TEST(TargetServer, ABusyPortIsAClearError) {
  auto first = StartTarget(TargetMode::kEcho);
  TargetConfig config;
  config.listen = absl::StrCat("127.0.0.1:", first->port());
  absl::StatusOr<std::unique_ptr<TargetServer>> second = TargetServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("bind"), absl::string_view::npos);
  EXPECT_NE(second.status().message().find("in use"), absl::string_view::npos) << second.status();
}

TEST(TargetServer, RejectsBadConfig) {
  TargetConfig config;
  config.listen = "127.0.0.1:0";
  config.threads = 0;
  EXPECT_FALSE(TargetServer::Start(config).ok());
  config.threads = 1;
  config.listen = "nonsense";
  EXPECT_FALSE(TargetServer::Start(config).ok());
}

}  // namespace
}  // namespace salvo::target
