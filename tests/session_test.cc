// Sessions over the fake engine (tests/fake_engine.h): what each workload sends, how it frames
// what comes back, what it counts and how connect-rr recovers from a failed connect, exactly and
// in milliseconds, without a socket.
#include "workload/session.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "metrics/clock.h"
#include "metrics/thread_stats.h"
#include "net/address.h"
#include "tests/fake_engine.h"

namespace salvo::workload {
namespace {

using metrics::Counter;
using testing::FakeEngine;

// One worker's worth: the fake engine, a stats block and a context pointing at them.
class Sessions : public ::testing::Test {
 protected:
  void Use(Options options) {
    options_ = options;
    pattern_ = std::make_unique<Pattern>(options.SendSpan());
    ctx_.engine = &engine_;
    ctx_.stats = &stats_;
    ctx_.pattern = pattern_.get();
    ctx_.options = options_;
    if (!options.request.empty()) {
      requests_ = options.request;
      ctx_.requests = reinterpret_cast<const uint8_t*>(requests_.data());
    }
  }
  std::unique_ptr<Session> Open() {
    std::unique_ptr<Session> s = MakeSession(&ctx_, 0);
    s->Connect(target_);
    EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
    return s;
  }
  // Polls until `done` or 2 s.
  template <typename Done>
  bool PollUntil(Done done) {
    for (const absl::Time end = absl::Now() + absl::Seconds(2); absl::Now() < end;) {
      if (done()) return true;
      if (!engine_.Poll(absl::Milliseconds(5)).ok()) return false;
    }
    return done();
  }
  uint64_t Count(Counter c) {
    stats_.PublishEngine(engine_.counters());
    return stats_.Get(c);
  }

  FakeEngine engine_;
  metrics::ThreadStats stats_{1};
  std::unique_ptr<Pattern> pattern_;
  std::string requests_;
  Options options_;
  SessionContext ctx_;
  net::SocketAddress target_ = *net::ResolveHostPort("127.0.0.1:9");
};

// Echo keeps exactly `pipeline` messages in flight, counts a message only when all of its bytes
// are back (here they come back one byte at a time), and times each.
TEST_F(Sessions, EchoKeepsItsPipelineFullAndCountsWholeMessagesOnly) {
  Options o;
  o.kind = Kind::kEcho;
  o.message_size = 100;
  o.pipeline = 4;
  o.verify = true;  // every byte checked against the pattern, across chunk boundaries
  Use(o);
  std::unique_ptr<Session> s = Open();
  ASSERT_EQ(s->state(), Session::State::kOpen);
  s->Start();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  // The pipeline's four went out, one send at a time, and no more while nothing came back.
  EXPECT_EQ(engine_.conn(0).sent.size(), 4 * 100u);
  EXPECT_EQ(Count(Counter::kMessages), 0u);
  engine_.Deliver(0, engine_.conn(0).sent.substr(0, 150));  // one and a half messages back
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  EXPECT_EQ(Count(Counter::kMessages), 1u);
  engine_.Deliver(0, engine_.conn(0).sent.substr(150, 250));
  engine_.set_echo(true, /*chunk=*/7);  // from here every byte comes back, 7 at a time
  for (int i = 0; Count(Counter::kMessages) < 1000 && i < 100000; ++i) {
    EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
    // Never more than the pipeline outstanding.
    ASSERT_LE(Count(Counter::kBytesSent) - (Count(Counter::kBytesReceived)), 4 * 100u);
  }
  EXPECT_GE(Count(Counter::kMessages), 1000u);
  s->BeginDrain();
  ASSERT_TRUE(PollUntil([&] { return s->Drained(); }));
  // Everything sent came back, whole messages only, and each was timed.
  EXPECT_EQ(Count(Counter::kBytesReceived), Count(Counter::kBytesSent));
  EXPECT_EQ(Count(Counter::kBytesSent), Count(Counter::kMessages) * 100);
  EXPECT_EQ(Count(Counter::kVerifyErrors), 0u);
}

// rr frames responses by a delimiter that arrives split across receives, and counts each
// response once, however the bytes are cut.
TEST_F(Sessions, RrFramesResponsesByADelimiterSplitAcrossReceives) {
  Options o;
  o.kind = Kind::kRr;
  o.request = "PING\r\n";
  o.message_size = o.request.size();
  o.response_until = "\r\n";
  Use(o);
  std::unique_ptr<Session> s = Open();
  s->Start();
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  ASSERT_EQ(engine_.conn(0).sent, "PING\r\n");
  // The answer in pieces that cut the delimiter: "+PO", "NG\r", "\n".
  engine_.Deliver(0, "+PO");
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  engine_.Deliver(0, "NG\r");
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  EXPECT_EQ(Count(Counter::kMessages), 0u);
  engine_.Deliver(0, "\n");
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  EXPECT_EQ(Count(Counter::kMessages), 1u);
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());  // the next request goes out
  EXPECT_EQ(engine_.conn(0).sent, "PING\r\nPING\r\n");
  // A response with a bare \r inside it is still one response.
  engine_.Deliver(0, "-ERR a\rb\r\n");
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());
  EXPECT_EQ(Count(Counter::kMessages), 2u);
}

// connect-rr: a connect that fails is counted and retried after a pause (not in a tight loop),
// and each cycle after it connects, sends one request, reads its response and closes.
TEST_F(Sessions, ConnectRrRetriesAFailedConnectAfterAPauseAndCyclesAfterIt) {
  Options o;
  o.kind = Kind::kConnectRr;
  o.message_size = 32;
  Use(o);
  std::unique_ptr<Session> s = Open();  // the connect phase's connection
  ASSERT_EQ(s->state(), Session::State::kOpen);
  engine_.set_echo(true);
  // The connection after the first is refused: counted, and retried only after the pause.
  engine_.FailNextConnects({absl::UnavailableError("Connection refused")});
  s->Start();
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration())
                  .ok());  // request out, echoed back, read: the connection closes
  EXPECT_EQ(Count(Counter::kMessages), 1u);
  EXPECT_FALSE(engine_.conn(0).open);
  const absl::Time failed_at = absl::Now();
  EXPECT_TRUE(engine_.Poll(absl::ZeroDuration()).ok());  // the second connect is refused
  EXPECT_EQ(ctx_.failed, 1u);
  EXPECT_EQ(engine_.connects(), 2u);
  ASSERT_TRUE(PollUntil([&] { return engine_.connects() >= 3; }));
  EXPECT_GE(absl::Now() - failed_at, absl::Milliseconds(5));
  ASSERT_TRUE(PollUntil([&] { return Count(Counter::kMessages) >= 5; }));
  EXPECT_EQ(ctx_.failed, 1u) << ctx_.first_error << " connects " << engine_.connects();
  // Every connection but the last one open was closed after its response.
  for (size_t id = 0; id + 1 < engine_.connects(); ++id) {
    EXPECT_FALSE(engine_.conn(static_cast<net::ConnId>(id)).open) << id;
  }
}

// connect-rr in an open loop keeps its schedule across its connections: each cycle closes the
// connection the schedule began on, and the next comes due all the same (it used to stop after
// the first: 4 of 4 messages due in a 3 s run at 2,000/s).
TEST_F(Sessions, ConnectRrKeepsItsRateAcrossConnections) {
  Options o;
  o.kind = Kind::kConnectRr;
  o.message_size = 32;
  o.rate = RateProfile::Constant(1000);
  Use(o);
  std::unique_ptr<Session> s = Open();
  engine_.set_echo(true);
  ctx_.options.schedule_start_ns = metrics::MonoNanos();
  s->Start();
  const absl::Time end = absl::Now() + absl::Milliseconds(300);
  while (absl::Now() < end) ASSERT_TRUE(engine_.Poll(absl::Milliseconds(1)).ok());
  s->BeginDrain();
  // About 300 due in 300 ms at 1,000/s; all but a handful answered (the fake answers at once).
  EXPECT_GE(Count(Counter::kMessagesDue), 250u);
  EXPECT_LE(Count(Counter::kMessagesDue), 320u);
  EXPECT_GE(Count(Counter::kMessages) + 5, Count(Counter::kMessagesDue));
  EXPECT_GE(engine_.connects(), Count(Counter::kMessages));
}

}  // namespace
}  // namespace salvo::workload
