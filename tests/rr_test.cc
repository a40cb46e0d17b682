// The rr workload over real sockets: against salvo-target's echo, whose own counts it must
// match, and against a real redis-server answering PING.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/fd.h"
#include "output/render.h"
#include "process/child.h"
#include "target/target_server.h"
#include "tests/cluster.h"
#include "tests/test_util.h"
#include "wire/figures.h"

namespace salvo {
namespace {

using driver::RunConfig;
using testing::WaitFor;

class Rr : public testing::Cluster {};

uint64_t RoundTrips(const v1::RunReport& r) {
  return wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).count();
}

TEST_F(Rr, RequestsOfTheUsersBytesAgainstAnEchoServerMatchItsOwnCount) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kRr, target.port(), 3);
  c.request = "GET /x HTTP/1.0\r\n\r\n";  // 19 bytes, echoed back whole
  c.response_bytes = c.request.size();
  c.pipeline = 4;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  const v1::Counters& t = r.totals().counters();
  EXPECT_GT(t.messages(), 1000u);
  EXPECT_EQ(RoundTrips(r), t.messages());
  EXPECT_EQ(r.spec().load().message_size(), c.request.size());
  EXPECT_GT(r.totals().messages_per_send(), 1.0);  // pipelined requests share sends
  // Every byte the agents sent, the target read, and whole requests only.
  ASSERT_TRUE(
      WaitFor([&] { return target.Totals().counters().closed_by_peer() == 3; }, absl::Seconds(5)));
  EXPECT_EQ(target.Totals().counters().bytes_received(), t.bytes_sent());
  EXPECT_EQ(t.bytes_sent() % c.request.size(), 0u);
}

// A redis-server of the Debian package on a free loopback port, without persistence.
class RedisServer {
 public:
  explicit RedisServer(const std::string& dir) {
    port_ = FreePort();
    absl::StatusOr<process::Child> c =
        process::Child::Spawn("/usr/bin/redis-server",
                              {"--port", absl::StrCat(port_), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", dir},
                              dir + "/redis.out", dir + "/redis.err");
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) child_.emplace(std::move(*c));
  }
  ~RedisServer() {
    if (child_.has_value()) child_->Kill();
  }
  uint16_t port() const { return port_; }
  bool Up() {
    return WaitFor([&] { return Query("PING\r\n").find("+PONG") != std::string::npos; },
                   absl::Seconds(10));
  }
  // The server's own count of the commands it processed (INFO stats).
  uint64_t CommandsProcessed() {
    const std::string info = Query("INFO stats\r\n");
    const std::string key = "total_commands_processed:";
    const size_t at = info.find(key);
    uint64_t n = 0;
    if (at == std::string::npos) return 0;
    const size_t end = info.find('\r', at);
    (void)absl::SimpleAtoi(info.substr(at + key.size(), end - at - key.size()), &n);
    return n;
  }

 private:
  static uint16_t FreePort() {
    net::Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), len);
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }
  std::string Query(const std::string& command) {
    net::Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
    if (::send(s.get(), command.data(), command.size(), MSG_NOSIGNAL) < 0) return "";
    std::string out;
    char buf[4096];
    pollfd p{s.get(), POLLIN, 0};
    // Replies here are short: read what arrives within 200 ms of the last byte.
    while (::poll(&p, 1, 200) > 0) {
      const ssize_t n = ::recv(s.get(), buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  uint16_t port_ = 0;
  std::optional<process::Child> child_;
};

TEST_F(Rr, RedisPingIsCountedAsRedisCountsIt) {
  const std::string dir = ::testing::TempDir();
  RedisServer redis(dir);
  ASSERT_TRUE(redis.Up()) << "redis-server did not answer on port " << redis.port();
  const uint64_t before = redis.CommandsProcessed();
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kRr, redis.port(), 4);
  c.request = "PING\r\n";
  c.response_until = "\r\n";  // +PONG\r\n
  c.warmup = absl::ZeroDuration();
  c.drain = absl::Seconds(2);
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  const v1::Counters& t = r.totals().counters();
  EXPECT_GT(t.messages(), 1000u);
  EXPECT_EQ(RoundTrips(r), t.messages());
  EXPECT_EQ(t.bytes_received(), t.messages() * 7);  // "+PONG\r\n" each, nothing else
  EXPECT_EQ(t.send_errors() + t.recv_errors() + t.connect_errors(), 0u);
  // redis counted every PING we counted, plus our own two INFO queries at most.
  const uint64_t processed = redis.CommandsProcessed() - before;
  EXPECT_GE(processed, t.messages());
  EXPECT_LE(processed, t.messages() + 2);
}

}  // namespace
}  // namespace salvo
