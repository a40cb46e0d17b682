// The whole system in one process: a salvo-target, two salvo-agents (real gRPC servers on
// loopback) and the controller library, over real sockets.
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/agent_service.h"
#include "controller/grpc_agent_link.h"
#include "driver/run_driver.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "net/engine_factory.h"
#include "net/socket.h"
#include "output/render.h"
#include "salvo/v1/agent.grpc.pb.h"
#include "target/target_server.h"
#include "tests/cluster.h"
#include "tests/test_util.h"
#include "wire/enums.h"
#include "wire/figures.h"

namespace salvo {
namespace {

using driver::RunConfig;
using testing::CountEstablishedTo;
using testing::WaitFor;

class InProcess : public testing::Cluster {};

TEST_F(InProcess, EchoAccountsForEveryByteOnEveryAgent) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 20);
  c.verify = true;
  c.pipeline = 4;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  ASSERT_EQ(r.agents_size(), 2);
  uint64_t sent = 0, messages = 0;
  for (const v1::AgentResult& a : r.agents()) {
    EXPECT_EQ(a.connections(), 10u);
    EXPECT_EQ(a.counters().connections_established(), 10u);
    EXPECT_GT(a.counters().messages(), 100u);
    // Drained: every echoed byte came back before the agent reported.
    EXPECT_EQ(a.counters().bytes_received(), a.counters().bytes_sent()) << a.agent();
    EXPECT_EQ(a.counters().bytes_sent(), a.counters().messages() * 64) << a.agent();
    EXPECT_EQ(a.counters().verify_errors(), 0u);
    EXPECT_EQ(wire::FindSummary(a.timings(), metrics::Timing::kRoundTrip).count(),
              a.counters().messages());
    EXPECT_EQ(a.intervals_size(), 2);
    sent += a.counters().bytes_sent();
    messages += a.counters().messages();
  }
  EXPECT_EQ(r.totals().counters().bytes_sent(), sent);
  EXPECT_EQ(r.totals().counters().messages(), messages);
  EXPECT_EQ(r.totals().counters().connections_established(), 20u);
  EXPECT_EQ(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).count(), messages);
  EXPECT_GT(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).p50_us(), 0);
  EXPECT_LE(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).p50_us(),
            wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).p99_us());
  EXPECT_LE(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).p99_us(),
            wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).max_us());
  ASSERT_EQ(r.intervals_size(), 2);
  EXPECT_EQ(r.intervals(0).agents_reporting(), 2u);
  // The target saw exactly what the agents sent, in both directions.
  ASSERT_TRUE(
      WaitFor([&] { return target.Totals().counters().closed_by_peer() == 20; }, absl::Seconds(3)));
  EXPECT_EQ(target.Totals().counters().bytes_received(), sent);
  EXPECT_EQ(target.Totals().counters().bytes_sent(), sent);
  // TPS counts completed sends and receives.
  EXPECT_NEAR(r.totals().rates().completions_per_sec(),
              (r.totals().counters().send_calls() + r.totals().counters().recv_calls()) /
                  r.totals().measured_s(),
              r.totals().rates().completions_per_sec() * 0.02);
}

class Coalesce : public InProcess, public ::testing::WithParamInterface<bool> {};
INSTANTIATE_TEST_SUITE_P(OnAndOff, Coalesce, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "on" : "off"; });

TEST_P(Coalesce, SmallMessagesAreCountedWholeAndMatchTheTargetsBytes) {
  // 64-byte stream-out: coalesced, one send carries up to 1,024 whole messages; off, one each.
  // Either way messages are whole messages sent, and their bytes are what the target read.
  target::TargetServer& target = StartTarget(target::TargetMode::kSink);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kStreamOut, target.port(), 8);
  c.message_size = 64;
  c.coalesce = GetParam();
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  const v1::Counters& t = r.totals().counters();
  EXPECT_GT(t.messages(), 1000u);
  EXPECT_EQ(t.bytes_sent(), t.messages() * 64);
  ASSERT_TRUE(
      WaitFor([&] { return target.Totals().counters().closed_by_peer() == 8; }, absl::Seconds(5)));
  EXPECT_EQ(target.Totals().counters().bytes_received(), t.bytes_sent());
  EXPECT_DOUBLE_EQ(r.totals().messages_per_send(),
                   static_cast<double>(t.messages()) / static_cast<double>(t.send_calls()));
  if (GetParam()) {
    EXPECT_GT(r.totals().messages_per_send(), 100) << "sends did not coalesce";
    EXPECT_TRUE(absl::StrContains(output::RenderReport(r), "messages per send (--coalesce on)"));
  } else {
    EXPECT_LE(r.totals().messages_per_send(), 1.0);
    EXPECT_GT(r.totals().messages_per_send(), 0.9);
  }
}

TEST_P(Coalesce, PipelinedEchoSendsTheFreeSlotsTogetherAndTimesEveryMessage) {
  // Echo with 8 messages in flight per connection: coalesced, the messages whose slots are free
  // go out in one send; off, one send each. Every message is still one verified round trip.
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 4);
  c.message_size = 64;
  c.pipeline = 8;
  c.verify = true;
  c.coalesce = GetParam();
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  const v1::Counters& t = r.totals().counters();
  EXPECT_GT(t.messages(), 1000u);
  EXPECT_EQ(t.verify_errors(), 0u);
  EXPECT_EQ(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).count(), t.messages());
  EXPECT_DOUBLE_EQ(r.totals().messages_per_send(),
                   static_cast<double>(t.messages()) / static_cast<double>(t.send_calls()));
  if (GetParam()) {
    EXPECT_GT(r.totals().messages_per_send(), 1.5) << "free slots did not share a send";
  } else {
    EXPECT_LE(r.totals().messages_per_send(), 1.01);
  }
}

TEST_F(InProcess, StreamOutBytesSentEqualWhatTheTargetReceived) {
  target::TargetServer& target = StartTarget(target::TargetMode::kSink, {.threads = 2});
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kStreamOut, target.port(), 4);
  c.message_size = 128 * 1024;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  EXPECT_GT(r.totals().counters().bytes_sent(), 10u << 20);
  EXPECT_EQ(r.totals().counters().bytes_sent(),
            r.agents(0).counters().bytes_sent() + r.agents(1).counters().bytes_sent());
  // The agents shut their side and waited for the target to close: every byte was delivered,
  // and the target, having read to the end of each stream, counts exactly those.
  EXPECT_EQ(r.totals().counters().bytes_delivered(), r.totals().counters().bytes_sent());
  EXPECT_EQ(r.totals().counters().bytes_undelivered(), 0u);
  EXPECT_EQ(r.totals().counters().connections_holding_data(), 0u);
  ASSERT_TRUE(
      WaitFor([&] { return target.Totals().counters().closed_by_peer() == 4; }, absl::Seconds(5)));
  EXPECT_EQ(target.Totals().counters().bytes_received(), r.totals().counters().bytes_delivered());
}

TEST_F(InProcess, WithoutADrainSentCountsWhatTheKernelTookAndDeliveredNoMoreThanTheTargetGot) {
  // No drain: the run stops with data still queued. What the target acknowledged is delivered,
  // connections still holding data are reset, and what was in flight at that instant can still
  // arrive: delivered is a lower bound of what the target read, and sent (what the kernel took)
  // an upper bound. Issue 21: io_uring counted no send whose completion was still to be reaped
  // when the sockets closed, so the target read one send per connection more than was sent
  // (65,536 B at 1 connection, 6.5 MB at 100).
  for (const uint32_t connections : {1u, 64u}) {
    SCOPED_TRACE(absl::StrCat(connections, " connections"));
    targets_.clear();
    target::TargetServer& target = StartTarget(target::TargetMode::kSink);
    if (agents_.empty()) StartAgents(1);
    RunConfig c = Config(workload::Kind::kStreamOut, target.port(), connections);
    c.engine = net::EngineKind::kIoUring;
    c.message_size = 128 * 1024;
    c.duration = absl::Milliseconds(700);
    c.drain = absl::ZeroDuration();
    c.sndbuf = 1 << 20;
    const v1::RunReport r = Run(c);
    ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
    const v1::Counters& t = r.totals().counters();
    EXPECT_GT(t.bytes_delivered(), 0u);
    EXPECT_GT(t.connections_holding_data(), 0u);
    // The target has read all it will once its count stands still (its own close count can
    // lag: see the closing note of issue 21 on connections it never saw end).
    uint64_t got = 0;
    for (const absl::Time until = absl::Now() + absl::Seconds(5); absl::Now() < until;) {
      const uint64_t before = target.Totals().counters().bytes_received();
      absl::SleepFor(absl::Milliseconds(300));
      got = target.Totals().counters().bytes_received();
      if (got == before) break;
    }
    EXPECT_GE(got, t.bytes_delivered());
    EXPECT_LE(got, t.bytes_sent());
    EXPECT_EQ(t.bytes_undelivered(), t.bytes_sent() - t.bytes_delivered());
    std::cerr << "target read " << got << "; sent " << t.bytes_sent() << ", delivered "
              << t.bytes_delivered() << " on " << t.connections_holding_data()
              << " connections still holding " << t.bytes_undelivered() << " bytes\n";
  }
}

TEST_F(InProcess, WithAWarmUpDeliveredCountsOnlyTheBytesSentInTheWindow) {
  // Issue 21: bytes handed over during the warm-up and acknowledged (or echoed) during the
  // window counted as delivered, so delivered exceeded sent (by 66% at 1,000 connections of
  // 1 MiB). Delivery is attributed by stream offset now: of the bytes sent in the window, those
  // the peer had by the end. Many connections with deep socket buffers put megabytes in flight
  // at the boundary, on two workers.
  for (const workload::Kind kind : {workload::Kind::kStreamOut, workload::Kind::kEcho}) {
    const char* name = kind == workload::Kind::kEcho ? "echo" : "stream-out";
    SCOPED_TRACE(name);
    targets_.clear();
    target::TargetServer& target = StartTarget(
        kind == workload::Kind::kEcho ? target::TargetMode::kEcho : target::TargetMode::kSink);
    if (agents_.empty()) StartAgents(1);
    RunConfig c = Config(kind, target.port(), 200);
    c.engine = net::EngineKind::kIoUring;
    c.message_size = kind == workload::Kind::kEcho ? 256 * 1024 : 1 << 20;
    c.warmup = absl::Milliseconds(300);
    c.duration = absl::Milliseconds(700);
    const v1::RunReport r = Run(c);
    ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
    const v1::Counters& t = r.totals().counters();
    EXPECT_GT(t.bytes_delivered(), 0u);
    // The default drain lets the target take every byte of the window, and no more is counted.
    EXPECT_EQ(t.bytes_delivered(), t.bytes_sent());
    if (kind == workload::Kind::kStreamOut) {
      EXPECT_EQ(t.bytes_undelivered(), t.bytes_sent() - t.bytes_delivered());
    }
    uint64_t interval_delivered = 0;
    for (const v1::IntervalPoint& i : r.intervals())
      interval_delivered += i.counters().bytes_delivered();
    // The intervals split the span's delivery; the drain adds what arrived after the last.
    EXPECT_LE(interval_delivered, t.bytes_delivered());
    // Issue 21: the delivered rate divided bytes acknowledged during the drain by the measured
    // span (235.8 Mbit/s through a 200 Mbit/s bottleneck). It divides the span's own now.
    EXPECT_EQ(t.bytes_delivered_in_span(), interval_delivered);
    EXPECT_NEAR(r.totals().rates().mb_per_sec_delivered(),
                1e-6 * t.bytes_delivered_in_span() / r.totals().measured_s(),
                1e-9 * t.bytes_delivered_in_span());
    EXPECT_LE(r.totals().rates().mb_per_sec_delivered(), r.totals().rates().mb_per_sec_sent());
    std::cerr << name << ": sent " << t.bytes_sent() << ", delivered " << t.bytes_delivered()
              << " (intervals " << interval_delivered << ")\n";
  }
}

// Issue 21: echo at 1,000 connections of 1 MiB dropped 22.3 MB sent and never echoed back, with
// status ok and no line. What was in flight when the run ended is counted and said now.
TEST_F(InProcess, EchoSaysWhatWasStillInFlightWhenTheRunEnded) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 32);
  c.message_size = 1 << 20;
  c.duration = absl::Milliseconds(500);
  c.drain = absl::ZeroDuration();
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  const v1::Counters& t = r.totals().counters();
  EXPECT_GT(t.connections_holding_data(), 0u);
  EXPECT_GT(t.bytes_undelivered(), 0u);
  EXPECT_EQ(t.bytes_undelivered(), t.bytes_sent() - t.bytes_delivered());
  const std::string shown = output::RenderReport(r);
  EXPECT_NE(shown.find("connections still awaited echoes"), std::string::npos) << shown;
  EXPECT_NE(shown.find("sent and never echoed back"), std::string::npos) << shown;
}

TEST_F(InProcess, SocketBuffersAreAppliedAndReportedAsTheKernelSetThem) {
  target::TargetServer& target = StartTarget(target::TargetMode::kSink);
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kStreamOut, target.port(), 2);
  c.duration = absl::Milliseconds(500);
  c.sndbuf = 64 * 1024;
  c.rcvbuf = 32 * 1024;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  // Linux doubles a request below net.core.wmem_max / rmem_max (4 MiB here and by default).
  EXPECT_EQ(r.agents(0).sndbuf_applied(), 2u * 64 * 1024);
  EXPECT_EQ(r.agents(0).rcvbuf_applied(), 2u * 32 * 1024);
  EXPECT_NE(output::RenderReport(r).find("SO_SNDBUF asked 64KiB, applied 128KiB"),
            std::string::npos);
}

TEST_F(InProcess, VerifyCountsCorruptedBytes) {
  // An echo server that flips one byte in every 1000: --verify must notice.
  net::Fd listener = *net::ListenTcp(*net::ResolveHostPort("127.0.0.1:0", true), {});
  const uint16_t port = net::LocalAddress(listener.get())->port();
  std::atomic<bool> stop{false};
  std::thread server([&] {
    std::vector<std::thread> conns;
    while (!stop) {
      const int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        absl::SleepFor(absl::Milliseconds(5));
        continue;
      }
      conns.emplace_back([fd] {
        uint8_t buf[4096];
        uint64_t offset = 0;
        ssize_t n;
        while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
          for (ssize_t i = 0; i < n; ++i) {
            if ((offset + i) % 1000 == 999) buf[i] ^= 0x5a;
          }
          offset += n;
          if (::send(fd, buf, n, MSG_NOSIGNAL) != n) break;
        }
        ::close(fd);
      });
    }
    for (auto& t : conns) t.join();
  });
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, port, 2);
  c.verify = true;
  c.duration = absl::Seconds(1);
  const v1::RunReport r = Run(c);
  stop = true;
  server.join();
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  const uint64_t expected = r.totals().counters().bytes_received() / 1000;
  EXPECT_GE(r.totals().counters().verify_errors(), expected - 2);
  EXPECT_LE(r.totals().counters().verify_errors(), expected + 2);
  ASSERT_GT(r.reasons_size(), 0);
  EXPECT_NE(r.reasons(0).find("verify"), std::string::npos) << r.reasons(0);
}

TEST_F(InProcess, FiveHundredStreamInConnectionsAllReceiveInEveryInterval) {
  target::TargetServer& target =
      StartTarget(target::TargetMode::kSource, {.threads = 2, .message_size = 16 * 1024});
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kStreamIn, target.port(), 500);
  c.warmup = absl::Seconds(1);
  c.duration = absl::Seconds(3);
  c.interval = absl::Seconds(1);
  c.verify = true;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  EXPECT_EQ(r.totals().counters().connections_established(), 500u);
  EXPECT_EQ(r.totals().counters().verify_errors(), 0u);
  for (const v1::AgentResult& a : r.agents()) {
    ASSERT_EQ(a.intervals_size(), 3) << a.agent();
    for (const v1::Interval& i : a.intervals()) {
      EXPECT_EQ(i.fairness().connections(), 250u);
      EXPECT_EQ(i.fairness().starved_connections(), 0u)
          << a.agent() << " interval " << i.index() << " min " << i.fairness().min_bytes()
          << " max " << i.fairness().max_bytes();
      EXPECT_GT(i.fairness().min_bytes(), 0u);
    }
  }
  for (const std::string& d : r.diagnostics()) EXPECT_EQ(d.find("stall"), std::string::npos) << d;
}

using testing::RawRun;
using testing::SpecRequest;

TEST_F(InProcess, ABrokenControllerStreamClosesTheLoadWithinTwoSecondsAndFreesTheAgent) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  {
    RawRun run(agents_[0]->address());
    ASSERT_TRUE(run.Send(SpecRequest(target.port(), v1::WORKLOAD_ECHO, 16)));
    v1::RunResponse response;
    ASSERT_TRUE(run.stream->Read(&response));
    ASSERT_TRUE(response.has_ready());
    EXPECT_EQ(response.ready().connections_established(), 16u);
    v1::RunRequest start;
    start.mutable_start();
    ASSERT_TRUE(run.Send(start));
    ASSERT_TRUE(run.stream->Read(&response));
    ASSERT_TRUE(response.has_interval());
    EXPECT_GT(response.interval().interval().counters().messages(), 0u);
    EXPECT_EQ(CountEstablishedTo(target.port()), 16);
    // The controller disappears mid-run.
    run.context.TryCancel();
    const absl::Time broken = absl::Now();
    EXPECT_TRUE(WaitFor([&] { return CountEstablishedTo(target.port()) == 0; }, absl::Seconds(2)))
        << CountEstablishedTo(target.port()) << " sockets still open";
    std::cerr << "sockets closed " << absl::FormatDuration(absl::Now() - broken)
              << " after the stream broke\n";
  }
  // And the agent takes the next run.
  ASSERT_TRUE(WaitFor([&] { return !agents_[0]->service().busy(); }, absl::Seconds(3)));
  const v1::RunReport r = Run(Config(workload::Kind::kEcho, target.port(), 4));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK);
}

TEST_F(InProcess, ASecondControllerIsToldTheAgentIsBusy) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  RawRun first(agents_[0]->address());
  ASSERT_TRUE(first.Send(SpecRequest(target.port(), v1::WORKLOAD_ECHO, 2)));
  v1::RunResponse response;
  ASSERT_TRUE(first.stream->Read(&response));

  RawRun second(agents_[0]->address());
  second.Send(SpecRequest(target.port(), v1::WORKLOAD_ECHO, 2));
  while (second.stream->Read(&response)) {
  }
  const grpc::Status s = second.stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("busy"), std::string::npos);

  const v1::RunReport r = Run(Config(workload::Kind::kEcho, target.port(), 2));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_GT(r.reasons_size(), 0);
  EXPECT_NE(r.reasons(0).find("busy"), std::string::npos) << r.reasons(0);
  first.context.TryCancel();
}

TEST_F(InProcess, MalformedRunRequestsAreRejected) {
  StartAgents(1);
  auto finish = [](RawRun& run) {
    run.stream->WritesDone();
    v1::RunResponse r;
    while (run.stream->Read(&r)) {
    }
    return run.stream->Finish();
  };
  {
    RawRun run(agents_[0]->address());
    v1::RunRequest start;
    start.mutable_start();
    run.Send(start);
    const grpc::Status s = finish(run);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("RunSpec"), std::string::npos);
  }
  ASSERT_TRUE(WaitFor([&] { return !agents_[0]->service().busy(); }, absl::Seconds(3)));
  {
    RawRun run(agents_[0]->address());
    v1::RunRequest req = SpecRequest(FreePort(), v1::WORKLOAD_UNSPECIFIED, 1);
    run.Send(req);
    EXPECT_EQ(finish(run).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  ASSERT_TRUE(WaitFor([&] { return !agents_[0]->service().busy(); }, absl::Seconds(3)));
  {
    RawRun run(agents_[0]->address());
    v1::RunRequest req = SpecRequest(FreePort(), v1::WORKLOAD_ECHO, 1);
    req.mutable_spec()->mutable_load()->set_message_size(0);
    run.Send(req);
    const grpc::Status s = finish(run);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("message size"), std::string::npos) << s.error_message();
  }
  // Found by fuzz/run_spec_fuzzer: times the controller would refuse must not pass the agent.
  for (const auto& [name, set] :
       std::vector<std::pair<std::string, std::function<void(v1::RunSpec*)>>>{
           {"drain", [](v1::RunSpec* s) { s->mutable_load()->set_drain_ms(1342177279); }},
           {"connect timeout",
            [](v1::RunSpec* s) { s->mutable_load()->set_connect_timeout_ms(4042215414); }},
           {"lease", [](v1::RunSpec* s) { s->set_lease_ms(uint64_t{1} << 40); }}}) {
    ASSERT_TRUE(WaitFor([&] { return !agents_[0]->service().busy(); }, absl::Seconds(3)));
    RawRun run(agents_[0]->address());
    v1::RunRequest req = SpecRequest(FreePort(), v1::WORKLOAD_ECHO, 1);
    set(req.mutable_spec());
    run.Send(req);
    const grpc::Status s = finish(run);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_NE(s.error_message().find(name + " must be at most 7 days"), std::string::npos)
        << s.error_message();
  }
}

TEST_F(InProcess, ARefusingTargetFailsTheRunWithEveryConnectErrorCounted) {
  StartAgents(2);
  const v1::RunReport r = Run(Config(workload::Kind::kEcho, FreePort(), 6));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  EXPECT_EQ(r.totals().counters().connect_errors(), 6u);
  EXPECT_EQ(r.totals().counters().connections_established(), 0u);
  ASSERT_GT(r.reasons_size(), 0);
  EXPECT_NE(r.reasons(0).find("6 of 6 connections"), std::string::npos) << r.reasons(0);
  EXPECT_NE(r.reasons(0).find("refused"), std::string::npos) << r.reasons(0);
}

TEST_F(InProcess, ATargetThatNeverAnswersTimesOutTheConnects) {
  // A listener with a backlog of one that never accepts: once its queue is full the kernel drops
  // further SYNs, so those connects neither succeed nor fail.
  net::ListenOptions options;
  options.backlog = 1;
  net::Fd silent = *net::ListenTcp(*net::ResolveHostPort("127.0.0.1:0", true), options);
  const uint16_t port = net::LocalAddress(silent.get())->port();
  StartAgents(1);
  RunConfig c = Config(workload::Kind::kEcho, port, 16);
  c.connect_timeout = absl::Milliseconds(700);
  const absl::Time began = absl::Now();
  const v1::RunReport r = Run(c);
  EXPECT_LT(absl::Now() - began, absl::Seconds(5));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  EXPECT_GT(r.totals().counters().connect_errors(), 0u);
  ASSERT_GT(r.reasons_size(), 0);
  EXPECT_NE(r.reasons(0).find("timed out"), std::string::npos) << r.reasons(0);
}

TEST_F(InProcess, AnUnreachableAgentIsNamed) {
  StartAgents(1);
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 2);
  const std::string dead = absl::StrCat("127.0.0.1:", FreePort());
  c.agents.push_back(dead);
  const v1::RunReport r = Run(c);
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_NE(r.reasons(0).find(dead), std::string::npos) << r.reasons(0);
  EXPECT_NE(r.reasons(0).find("unreachable"), std::string::npos) << r.reasons(0);
  EXPECT_EQ(target.Totals().counters().connections_established(),
            0u);  // no load without every agent
}

TEST_F(InProcess, MoreConnectionsThanTheFdLimitFailBeforeAnySocketOpens) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(1);
  const uint64_t limit = net::RaiseFdLimit();
  const v1::RunReport r =
      Run(Config(workload::Kind::kEcho, target.port(), static_cast<uint32_t>(limit + 10)));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_GT(r.reasons_size(), 0);
  EXPECT_NE(r.reasons(0).find("file descriptors"), std::string::npos) << r.reasons(0);
  EXPECT_EQ(AcceptedBeforeProbe(target), 0u);
}

TEST_F(InProcess, StoppingEarlyKeepsEverythingMeasured) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 4);
  c.duration = absl::Seconds(30);
  c.interval = absl::Milliseconds(250);
  // Ctrl-C once four intervals have been reported, however long the set-up took.
  std::atomic<int> interrupts{0};
  int intervals = 0;
  testing::IntervalHook hook([&](const v1::IntervalPoint&) {
    if (++intervals == 4) interrupts = 1;
  });
  driver::RunHooks hooks;
  hooks.interrupts = &interrupts;
  hooks.sinks = {&hook};
  const absl::Time began = absl::Now();
  const v1::RunReport r = driver::DriveRun(c, hooks, controller::GrpcAgentAccess(c.security));
  EXPECT_LT(absl::Now() - began, absl::Seconds(10));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_EQ(r.agents_size(), 2);
  for (const v1::AgentResult& a : r.agents()) {
    EXPECT_GE(a.intervals_size(), 4) << a.agent();
    EXPECT_GT(a.counters().messages(), 0u);
    EXPECT_EQ(a.counters().bytes_received(), a.counters().bytes_sent());
    EXPECT_LT(a.measured_s(), 3);
  }
  EXPECT_NE(r.reasons(0).find("interrupted"), std::string::npos);
}

// Every workload on every engine and send mode: the workloads must not know which runs them.
struct MatrixParam {
  net::EngineKind engine;
  net::SendMode send_mode;
  workload::Kind workload;
};

void PrintTo(const MatrixParam& p, std::ostream* os) {
  *os << net::kEngineKinds.Name(p.engine) << "/" << net::kSendModes.Name(p.send_mode) << "/"
      << workload::kKinds.Name(p.workload);
}

class WorkloadMatrix : public InProcess, public ::testing::WithParamInterface<MatrixParam> {};

TEST_P(WorkloadMatrix, VerifiedAndAccountedToTheByte) {
  const MatrixParam p = GetParam();
  if (p.engine == net::EngineKind::kIoUring && !net::IoUringAvailable().ok()) {
    GTEST_SKIP() << "io_uring is not available here: " << net::IoUringAvailable().message();
  }
  const target::TargetMode mode = p.workload == workload::Kind::kEcho ? target::TargetMode::kEcho
                                  : p.workload == workload::Kind::kStreamOut
                                      ? target::TargetMode::kSink
                                      : target::TargetMode::kSource;
  target::TargetServer& target = StartTarget(mode, {1, 16 * 1024, p.engine, p.send_mode});
  StartAgents(1);
  RunConfig c = Config(p.workload, target.port(), 4);
  c.duration = absl::Seconds(1);
  c.interval = absl::Milliseconds(500);
  c.verify = true;
  c.message_size = p.workload == workload::Kind::kEcho ? 1000 : 16 * 1024;
  c.pipeline = 2;
  c.engine = p.engine;
  c.send_mode = p.send_mode;
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  const v1::AgentResult& a = r.agents(0);
  EXPECT_EQ(a.engine(), wire::ToProto(p.engine));
  EXPECT_EQ(a.send_mode(), wire::ToProto(p.send_mode));
  EXPECT_EQ(a.counters().verify_errors(), 0u);
  EXPECT_GT(a.counters().messages(), 0u);
  EXPECT_EQ(a.counters().connections_established(), 4u);
  switch (p.workload) {
    case workload::Kind::kEcho:
      EXPECT_EQ(a.counters().bytes_received(), a.counters().bytes_sent());
      EXPECT_EQ(a.counters().bytes_sent(), a.counters().messages() * c.message_size);
      EXPECT_EQ(wire::FindSummary(a.timings(), metrics::Timing::kRoundTrip).count(),
                a.counters().messages());
      break;
    case workload::Kind::kStreamOut:
      EXPECT_EQ(a.counters().bytes_delivered(), a.counters().bytes_sent());
      ASSERT_TRUE(WaitFor([&] { return target.Totals().counters().closed_by_peer() == 4; },
                          absl::Seconds(5)));
      EXPECT_EQ(target.Totals().counters().bytes_received(), a.counters().bytes_delivered());
      break;
    case workload::Kind::kStreamIn:
      EXPECT_GT(a.counters().bytes_received(), 0u);
      EXPECT_EQ(a.counters().bytes_sent(), 0u);
      break;
    case workload::Kind::kRr:
    case workload::Kind::kConnectRr:
      FAIL() << "rr and connect-rr have tests of their own (rr_test, connect_rr_test)";
  }
  // What the agent sent went through the send mode it asked for.
  if (p.send_mode != net::SendMode::kCopy && a.counters().bytes_sent() > 0) {
    EXPECT_GT(a.counters().zc_sends(), 0u);
    EXPECT_EQ(a.counters().zc_copied(), a.counters().zc_sends());  // loopback copies them all
    EXPECT_DOUBLE_EQ(r.totals().zc_copied_share(), 1.0);
    bool said = false;
    for (const std::string& d : r.diagnostics())
      said |= d.find("100% of sends") != std::string::npos;
    EXPECT_TRUE(said) << "the report must say zero-copy fell back to copy";
  }
  if (a.counters().bytes_sent() > 0) {
    EXPECT_GT(wire::FindSummary(a.timings(), metrics::Timing::kSendCall).count(), 0u);
  }
  // A source target pushes with the same send mode and reports the same send-side figures.
  if (p.workload == workload::Kind::kStreamIn && p.send_mode != net::SendMode::kCopy) {
    EXPECT_GT(target.Totals().counters().zc_sends(), 0u);
    EXPECT_EQ(target.Totals().counters().zc_copied(), target.Totals().counters().zc_sends());
    EXPECT_GT(wire::FindSummary(target.Totals().timings(), metrics::Timing::kSendCall).count(), 0u);
  }
}

std::vector<MatrixParam> Matrix() {
  std::vector<MatrixParam> out;
  const std::pair<net::EngineKind, net::SendMode> engines[] = {
      {net::EngineKind::kEpoll, net::SendMode::kCopy},
      {net::EngineKind::kEpoll, net::SendMode::kZeroCopy},
      {net::EngineKind::kIoUring, net::SendMode::kCopy},
      {net::EngineKind::kIoUring, net::SendMode::kUringZc}};
  for (auto [engine, mode] : engines) {
    for (workload::Kind w :
         {workload::Kind::kEcho, workload::Kind::kStreamOut, workload::Kind::kStreamIn}) {
      out.push_back({engine, mode, w});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, WorkloadMatrix, ::testing::ValuesIn(Matrix()),
                         [](const ::testing::TestParamInfo<MatrixParam>& info) {
                           std::string name =
                               absl::StrCat(net::kEngineKinds.Name(info.param.engine), "_",
                                            net::kSendModes.Name(info.param.send_mode), "_",
                                            workload::kKinds.Name(info.param.workload));
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace salvo
