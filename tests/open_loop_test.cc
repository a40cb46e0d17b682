// Open-loop runs (--rate) over real sockets on loopback: offered against achieved rates, latency
// from the intended send time against service time, and the generator's own limit.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <initializer_list>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/fd.h"
#include "output/render.h"
#include "target/target_server.h"
#include "tests/cluster.h"
#include "tests/test_util.h"
#include "wire/figures.h"
#include "workload/schedule.h"

namespace salvo {
namespace {

using driver::RunConfig;
using metrics::Timing;

class OpenLoop : public testing::Cluster {};

// An echo server for one connection that, for one second starting 1.5 s after the first byte,
// holds every 64 B message 1 ms before echoing it: the target slowing down mid-run.
class SlowingEchoServer {
 public:
  SlowingEchoServer() {
    listener_ = net::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(listener_.get(), 16), 0);
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SlowingEchoServer() {
    stop_ = true;
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  bool Wait(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }
  void Serve() {
    if (!Wait(listener_.get())) return;
    net::Fd conn(::accept(listener_.get(), nullptr, nullptr));
    std::vector<char> buf(64 * 1024);
    size_t pending = 0;  // bytes of a message not yet complete
    absl::Time slow_from = absl::InfiniteFuture();
    while (Wait(conn.get())) {
      const ssize_t n = ::recv(conn.get(), buf.data() + pending, buf.size() - pending, 0);
      if (n <= 0) return;
      if (slow_from == absl::InfiniteFuture()) slow_from = absl::Now() + absl::Milliseconds(1500);
      pending += static_cast<size_t>(n);
      size_t at = 0;
      for (; pending - at >= 64; at += 64) {
        const absl::Time now = absl::Now();
        if (now >= slow_from && now < slow_from + absl::Seconds(1)) {
          absl::SleepFor(absl::Milliseconds(1));
        }
        if (::send(conn.get(), buf.data() + at, 64, MSG_NOSIGNAL) != 64) return;
      }
      std::copy(buf.begin() + at, buf.begin() + pending, buf.begin());
      pending -= at;
    }
  }

  net::Fd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// No diagnosis line of `r` is of one of `kinds` ("starved", "stall", ...).
void ExpectNoDiagnosis(const v1::RunReport& r, std::initializer_list<absl::string_view> kinds) {
  for (const std::string& line : r.diagnostics()) {
    for (absl::string_view kind : kinds) EXPECT_FALSE(absl::StartsWith(line, kind)) << line;
  }
}

const v1::LatencySummary& Summary(const v1::RunReport& r, Timing t) {
  return wire::FindSummary(r.timings(), t);
}

TEST_F(OpenLoop, OfferedAndAchievedRatesAgreeWhenTheTargetKeepsUp) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 4);
  c.rate = 4000;
  c.arrival = workload::Arrival::kPoisson;
  c.verify = true;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  const v1::Totals& t = r.totals();
  EXPECT_NEAR(t.rates().offered_per_sec(), 4000, 4000 * 0.05);
  EXPECT_NEAR(t.rates().messages_per_sec(), t.rates().offered_per_sec(),
              t.rates().offered_per_sec() * 0.03);
  EXPECT_EQ(t.counters().verify_errors(), 0u);
  // Every message sent was timed from its intended send time and from its actual one.
  const uint64_t sent = Summary(r, Timing::kScheduleLag).count();
  EXPECT_GE(sent, t.counters().messages_due() * 97 / 100);
  EXPECT_EQ(Summary(r, Timing::kRoundTrip).count(), t.counters().messages());
  EXPECT_EQ(Summary(r, Timing::kServiceTime).count(), t.counters().messages());
  EXPECT_LT(Summary(r, Timing::kScheduleLag).p50_us(), 2000);
  // The agents' shares follow their connections (2 each): half the rate each.
  for (const v1::AgentResult& a : r.agents()) {
    EXPECT_NEAR(static_cast<double>(a.counters().messages_due()),
                static_cast<double>(t.counters().messages_due()) / 2,
                static_cast<double>(t.counters().messages_due()) * 0.1);
  }
  const std::string text = output::RenderReport(r);
  EXPECT_TRUE(absl::StrContains(text, "open loop: offered")) << text;
  EXPECT_TRUE(absl::StrContains(text, "service time")) << text;
}

// 20 msg/s over 100 connections: in any half second most connections have nothing due. They are
// idle, not starved (issue 22: "starved: 79 of 100" against a healthy target), and a schedule
// with nothing due at all is not "every connection stalled".
TEST_F(OpenLoop, AConnectionWithNothingDueIsIdleNotStarved) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 100);
  c.rate = 20;
  c.duration = absl::Seconds(2);
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  EXPECT_GT(r.totals().counters().messages(), 20u);
  ASSERT_GE(r.intervals_size(), 4);
  for (const v1::IntervalPoint& p : r.intervals()) {
    EXPECT_EQ(p.fairness().starved_connections(), 0u) << p.ShortDebugString();
    EXPECT_GT(p.fairness().idle_connections(), 50u) << p.ShortDebugString();
    EXPECT_EQ(p.fairness().idle_connections() + p.fairness().connections() +
                  p.fairness().unsampled_connections(),
              100u);
  }
  EXPECT_EQ(r.agents(0).starved_whole_run(), 0u);
  ExpectNoDiagnosis(r, {"starved", "stall"});
}

// --timer-spin: 200 us before each of 5,000 send times a second, the worker polls instead of
// sleeping, so it is on a CPU nearly all the time. That is by choice: its CPU share leaves the
// spin out, and the run is not called generator-bound.
TEST_F(OpenLoop, ASpinningWorkerIsOnACpuByChoiceNotGeneratorBound) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 10);
  c.threads = 1;
  c.rate = 5000;
  c.timer_spin_us = 200;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  EXPECT_NEAR(r.totals().rates().messages_per_sec(), 5000, 250);
  // It did spin: the process was on a CPU for much of the span.
  EXPECT_GT(r.totals().cpu_s(), 0.3 * r.totals().measured_s()) << r.totals().ShortDebugString();
  for (const v1::IntervalPoint& p : r.intervals()) {
    EXPECT_LT(p.max_worker_cpu_share(), 0.9) << p.ShortDebugString();
  }
  ExpectNoDiagnosis(r, {"generator-bound"});
}

TEST_F(OpenLoop, ATargetThatSlowsDownShowsInTheCorrectedLatencyNotInTheServiceTime) {
  // 2,000 messages/s on one connection, one in flight; for one second the target takes 1 ms per
  // message, half the pace asked. A closed loop would slow down with it and report ~1 ms. The
  // open loop keeps its schedule: a backlog of about 1,000 messages (half a second) builds, and
  // round trips counted from the intended send times show it, while the service time (from the
  // actual send) stays near 1 ms.
  SlowingEchoServer server;
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, server.port(), 1);
  c.rate = 2000;
  c.threads = 1;
  c.duration = absl::Seconds(4);
  c.drain = absl::Seconds(2);
  const v1::RunReport r = Run(c);
  ASSERT_NE(r.status(), v1::RUN_STATUS_FAILED) << output::RenderReport(r);
  const v1::LatencySummary& corrected = Summary(r, Timing::kRoundTrip);
  const v1::LatencySummary& service = Summary(r, Timing::kServiceTime);
  EXPECT_GT(corrected.max_us(), 300'000) << output::RenderReport(r);
  EXPECT_LT(corrected.max_us(), 1'500'000) << output::RenderReport(r);
  EXPECT_GT(corrected.p99_us(), 100'000) << output::RenderReport(r);
  EXPECT_GE(service.max_us(), 1000);
  EXPECT_LT(service.p99_us(), 20'000) << output::RenderReport(r);
  EXPECT_GT(r.totals().counters().pipeline_full(), 500u);
  // After the slow second the target catches up: nearly everything due was sent and answered.
  EXPECT_GE(r.totals().counters().messages(), r.totals().counters().messages_due() * 95 / 100);
}

TEST_F(OpenLoop, PacedStreamOutSendsWhatIsDueAndTheTargetReadsIt) {
  target::TargetServer& target = StartTarget(target::TargetMode::kSink);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kStreamOut, target.port(), 2);
  c.rate = 10000;
  c.message_size = 100;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  const v1::Totals& t = r.totals();
  EXPECT_NEAR(t.rates().messages_per_sec(), 10000, 10000 * 0.05);
  EXPECT_EQ(t.counters().bytes_sent(), t.counters().messages() * 100);
  EXPECT_EQ(Summary(r, Timing::kScheduleLag).count(), t.counters().messages());
  // Evenly spaced, nothing comes due after the measured 2 s, however late the drain begins: at
  // most one message per connection more than 2 s of 5,000/s each.
  EXPECT_LE(t.counters().messages_due(), 2u * (10000 + 1));
}

TEST_F(OpenLoop, AScheduleFarBeyondAnyCapacityIsReportedAsNotMet) {
  // A billion messages a second on one connection: nothing keeps that up, and the run must not
  // pass the rate off as met. With 1,024 slots the worker keeps the connection full (issue 22),
  // so the verdict names the target's pace, or the generator when its worker saturated first.
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 1);
  c.rate = 1e9;
  c.pipeline = 1024;
  c.threads = 1;
  const v1::RunReport r = Run(c);
  bool said = false;
  for (const std::string& reason : r.reasons()) {
    said |= absl::StrContains(reason, "the generator could not keep up");
  }
  for (const std::string& line : r.diagnostics()) said |= absl::StartsWith(line, "overloaded:");
  EXPECT_TRUE(said) << output::RenderReport(r);
  EXPECT_GT(r.totals().counters().messages(), 0u);
  EXPECT_LT(r.totals().rates().messages_per_sec(), 0.1 * r.totals().rates().offered_per_sec());
}

// Issue 22: 4 connections on 1 worker made 78k msg/s in a closed loop, but an open loop offered
// far more achieved 35k at --rate 60000 and 9.8k at --rate 1e8: the schedule's timer fired at
// the offered pace while the connections were busy. Behind its schedule, the worker now sends
// what is due as fast as the connections allow.
TEST_F(OpenLoop, AnOverloadedOpenLoopSendsAsFastAsAClosedLoop) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 4);
  c.threads = 1;
  c.duration = absl::Seconds(2);
  const v1::RunReport closed = Run(c);
  ASSERT_EQ(closed.status(), v1::RUN_STATUS_OK) << output::RenderReport(closed);
  const double capacity = closed.totals().rates().messages_per_sec();
  c.rate = 1e8;
  const v1::RunReport open = Run(c);
  const std::string text = output::RenderReport(open);
  // 0.93 to 1.09 of the closed loop in five runs here (0.17 before); 0.8 leaves room for a noisy
  // host, and the defect was far below it.
  EXPECT_GE(open.totals().rates().messages_per_sec(), 0.8 * capacity)
      << "closed loop " << capacity << " msg/s\n"
      << text;
  // The report says the offered rate was not met, and why.
  bool said = false;
  for (const std::string& reason : open.reasons()) {
    said |= absl::StrContains(reason, "could not keep up");
  }
  for (const std::string& line : open.diagnostics()) said |= absl::StartsWith(line, "overloaded:");
  EXPECT_TRUE(said) << text;
  std::cerr << "closed loop " << capacity << " msg/s; open loop at 1e8/s "
            << open.totals().rates().messages_per_sec() << " msg/s\n";
}

// The offered rate each interval should see: the stages' rate averaged over the interval.
double ExpectedOffered(const std::vector<RunConfig::Stage>& stages, double from_s, double to_s) {
  std::vector<workload::RateProfile::Stage> s;
  for (const RunConfig::Stage& stage : stages) {
    s.push_back({static_cast<uint64_t>(absl::ToInt64Nanoseconds(stage.duration)), stage.rate});
  }
  const auto profile = workload::RateProfile::Stages(s);
  return (profile->Cumulative(to_s * 1e9) - profile->Cumulative(from_s * 1e9)) / (to_s - from_s);
}

TEST_F(OpenLoop, StagesRampTheOfferedRateAndEachIntervalFollowsThem) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 20);
  c.stages = *driver::ParseStages("2s:4k,1s:4k,2s:1k");
  c.duration = absl::Seconds(5);
  c.interval = absl::Milliseconds(500);
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  ASSERT_EQ(r.intervals_size(), 10);
  double from = 0;
  for (const v1::IntervalPoint& p : r.intervals()) {
    const double want = ExpectedOffered(c.stages, from, p.elapsed_s());
    // Within 5% of the ramp's average over the interval (a 500 ms interval's edges move by a
    // few ms with the agents' turns), and sent as offered: the echo target keeps up.
    EXPECT_NEAR(p.rates().offered_per_sec(), want, 0.05 * want + 20) << "interval " << p.index();
    EXPECT_NEAR(p.rates().messages_per_sec(), p.rates().offered_per_sec(), 0.05 * want + 20)
        << "interval " << p.index();
    from = p.elapsed_s();
  }
  // 0->4k over 2 s, 4k for 1 s, 4k->1k over 2 s: 4,000 + 4,000 + 5,000 messages due.
  EXPECT_NEAR(static_cast<double>(r.totals().counters().messages_due()), 13000, 13000 * 0.02);
  EXPECT_EQ(r.spec().load().stages_size(), 3);
  EXPECT_NE(output::RenderReport(r).find("stages 2s:4.00k,1s:4.00k,2s:1.00k"), std::string::npos)
      << output::RenderReport(r);
}

TEST_F(OpenLoop, ConnectRateOpensConnectionsAtThePaceAskedBeforeTheStart) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 200);
  c.connect_rate = 100;  // 2 s for all 200, split over two agents
  c.duration = absl::Seconds(1);
  v1::RunReport r;
  std::thread run([&] { r = Run(c); });
  // The kernel's count of established connections, watched from outside: the time from a
  // quarter of them to three quarters is 100 connections at 100/s.
  absl::Time quarter = absl::InfiniteFuture(), three_quarters = absl::InfiniteFuture();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up && three_quarters == absl::InfiniteFuture()) {
    const int up = testing::CountEstablishedTo(target.port());
    if (up >= 50 && quarter == absl::InfiniteFuture()) quarter = absl::Now();
    if (up >= 150) three_quarters = absl::Now();
    absl::SleepFor(absl::Milliseconds(5));
  }
  run.join();
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  EXPECT_NEAR(absl::ToDoubleSeconds(three_quarters - quarter), 1.0, 0.2);
  EXPECT_EQ(r.totals().counters().connections_established(), 200u);
  for (const v1::AgentResult& a : r.agents()) {
    EXPECT_NEAR(a.connect_s(), 1.99, 0.2) << a.agent();
  }
  // The load began once all were open: its first interval already has all 200.
  ASSERT_GT(r.intervals_size(), 0);
  EXPECT_EQ(r.intervals(0).fairness().connections(), 200u);
  EXPECT_EQ(r.intervals(0).fairness().starved_connections(), 0u);
}

}  // namespace
}  // namespace salvo
