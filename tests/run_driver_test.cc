// The controller's driver over fake agent links: its decisions (when to start, what a lost
// agent does to the run, how totals are formed) without gRPC, sockets or timing luck.
#include "driver/run_driver.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "wire/figures.h"

namespace salvo::controller {
namespace {

// What one fake agent does once started.
struct Script {
  int intervals = 4;
  double interval_s = 1.0;
  uint64_t messages_per_interval = 10000;
  // End the stream with UNAVAILABLE after the intervals instead of sending a result.
  bool lost = false;
  // After the intervals, say nothing more and keep the stream open (a frozen agent).
  bool silent = false;
  // When set, interval i is sent once this clock reaches the start instant plus (i + 1)
  // intervals, as a real agent paces them; otherwise all at once.
  std::function<absl::Time()> clock;
  // Where the heartbeats the link receives are counted too: the driver destroys its links before
  // DriveRun returns.
  std::atomic<int>* heartbeats = nullptr;
};

class FakeLink final : public driver::AgentLink {
 public:
  FakeLink(size_t index, Script script) : index_(index), script_(script) {}
  ~FakeLink() override {
    Cancel();
    Join();
  }

  void Open(const v1::RunSpec& spec, std::function<void(driver::LinkEvent)> sink) override {
    spec_ = spec;
    thread_ = std::thread([this, sink = std::move(sink)] { Play(sink); });
  }
  void Send(const v1::RunRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (request.has_start()) {
      started_ = true;
      start_at_ = absl::FromUnixNanos(request.start().start_at_unix_ns());
    }
    if (request.has_stop()) stops_++;
    if (request.has_heartbeat() && script_.heartbeats != nullptr) ++*script_.heartbeats;
  }
  absl::Time StartAt() {
    absl::MutexLock lock(&mu_);
    return start_at_;
  }
  bool Closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  void CloseSend() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  void Cancel() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  void Join() override {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Play(const std::function<void(driver::LinkEvent)>& sink) {
    v1::RunResponse ready;
    ready.mutable_ready()->set_connections_established(spec_.connections());
    ready.mutable_ready()->set_threads(1);
    sink(driver::LinkEvent{index_, ready, absl::OkStatus()});
    bool cancelled = false;
    {
      absl::MutexLock lock(&mu_);
      const auto go = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return started_ || closed_; };
      mu_.Await(absl::Condition(&go));
      cancelled = closed_;
    }
    if (cancelled) {
      sink(driver::LinkEvent{index_, std::nullopt, absl::CancelledError("cancelled")});
      return;
    }
    v1::AgentResult result;
    result.set_agent(spec_.agent_name());
    result.set_connections(spec_.connections());
    for (int i = 0; i < script_.intervals; ++i) {
      if (script_.clock) {
        const absl::Time due = StartAt() + absl::Seconds((i + 1) * script_.interval_s);
        while (script_.clock() < due && !Closed()) absl::SleepFor(absl::Microseconds(200));
      }
      v1::RunResponse r;
      v1::Interval* interval = r.mutable_interval()->mutable_interval();
      interval->set_index(i);
      interval->set_elapsed_s((i + 1) * script_.interval_s);
      interval->mutable_counters()->set_messages(script_.messages_per_interval);
      sink(driver::LinkEvent{index_, r, absl::OkStatus()});
    }
    if (script_.lost) {
      sink(driver::LinkEvent{index_, std::nullopt, absl::UnavailableError("Socket closed")});
      return;
    }
    if (script_.silent) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(&closed_));
      }
      sink(driver::LinkEvent{index_, std::nullopt, absl::CancelledError("cancelled")});
      return;
    }
    const uint64_t messages = script_.messages_per_interval * script_.intervals;
    const double measured = script_.intervals * script_.interval_s;
    result.set_measured_s(measured);
    result.mutable_counters()->set_messages(messages);
    result.mutable_counters()->set_connections_established(spec_.connections());
    metrics::CounterValues c = wire::CountersFromProto(result.counters());
    wire::RatesToProto(metrics::ComputeRates(c, measured), result.mutable_rates());
    v1::RunResponse r;
    *r.mutable_result() = result;
    sink(driver::LinkEvent{index_, r, absl::OkStatus()});
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&closed_));
    }
    sink(driver::LinkEvent{index_, std::nullopt, absl::OkStatus()});
  }

  const size_t index_;
  const Script script_;
  v1::RunSpec spec_;
  std::thread thread_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int stops_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time start_at_ ABSL_GUARDED_BY(mu_);
};

// The driver's clock, moved by hand: 100 ms of it for every real millisecond while a run lasts,
// so the driver's seconds-long rules (5 s of silence, a heartbeat every quarter lease, the run's
// deadline) play out in a fraction of a second of real time.
class SteppedClock {
 public:
  SteppedClock() : ns_(absl::ToUnixNanos(absl::Now())) {}
  ~SteppedClock() { Stop(); }
  absl::Time Now() const { return absl::FromUnixNanos(ns_.load()); }
  std::function<absl::Time()> Source() {
    return [this] { return Now(); };
  }
  void Run() {
    stepper_ = std::thread([this] {
      while (!stop_.load()) {
        ns_.fetch_add(absl::ToInt64Nanoseconds(absl::Milliseconds(100)));
        absl::SleepFor(absl::Milliseconds(1));
      }
    });
  }
  void Stop() {
    stop_.store(true);
    if (stepper_.joinable()) stepper_.join();
  }

 private:
  std::atomic<int64_t> ns_;
  std::atomic<bool> stop_{false};
  std::thread stepper_;
};

driver::AgentAccess FakeAccess(std::vector<Script> scripts,
                               std::vector<std::string> probe_errors = {}) {
  driver::AgentAccess access;
  access.probe = [probe_errors](const std::vector<std::string>& agents) {
    std::vector<driver::AgentProbe> probes(agents.size());
    for (size_t i = 0; i < agents.size(); ++i) {
      probes[i].agent = agents[i];
      probes[i].reachable = true;
      if (i < probe_errors.size()) probes[i].error = probe_errors[i];
    }
    return probes;
  };
  access.link = [scripts](size_t index, const std::string&) -> driver::AgentLinkPtr {
    return std::make_unique<FakeLink>(index, scripts[index]);
  };
  return access;
}

driver::RunConfig TwoAgents() {
  driver::RunConfig c;
  c.agents = {"a:1", "b:1"};
  c.target = "127.0.0.1:9";
  c.connections = 10;
  c.duration = absl::Seconds(4);
  c.warmup = absl::ZeroDuration();
  c.interval = absl::Seconds(1);
  c.live = false;
  return c;
}

TEST(RunDriver, TotalRatesWithALostAgentAreTotalMessagesOverTheMeasuredSeconds) {
  Script lost;
  lost.intervals = 1;
  lost.messages_per_interval = 41000;
  lost.lost = true;
  const v1::RunReport r =
      driver::DriveRun(TwoAgents(), driver::RunHooks(), FakeAccess({Script{}, lost}));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_PARTIAL);
  ASSERT_EQ(r.lost_agents_size(), 1);
  EXPECT_NE(r.lost_agents(0).find("b:1 lost at interval 1"), std::string::npos) << r.lost_agents(0);
  EXPECT_EQ(r.totals().counters().messages(), 81000u);
  EXPECT_DOUBLE_EQ(r.totals().measured_s(), 4.0);
  EXPECT_DOUBLE_EQ(r.totals().rates().messages_per_sec(), 81000 / 4.0);
  // Each agent over its own span: a's 40000 in 4 s, b's 41000 in the 1 s it reported.
  EXPECT_DOUBLE_EQ(r.agents(0).rates().messages_per_sec(), 10000);
  EXPECT_DOUBLE_EQ(r.agents(1).rates().messages_per_sec(), 41000);
  ASSERT_EQ(r.intervals_size(), 4);
  EXPECT_EQ(r.intervals(0).agents_reporting(), 2u);
  EXPECT_EQ(r.intervals(1).agents_reporting(), 1u);
}

TEST(RunDriver, AbortOnLossFailsTheRunWithThePolicysReason) {
  Script lost;
  lost.intervals = 2;
  lost.lost = true;
  driver::RunConfig c = TwoAgents();
  c.on_agent_loss = plan::LossPolicy::kAbort;
  const v1::RunReport r = driver::DriveRun(c, driver::RunHooks(), FakeAccess({Script{}, lost}));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  ASSERT_GE(r.reasons_size(), 1);
  EXPECT_NE(r.reasons(0).find("--on-agent-loss abort"), std::string::npos) << r.reasons(0);
}

TEST(RunDriver, AnAgentThatFailsItsProbeStopsTheRunBeforeAnyStreamOpens) {
  bool opened = false;
  driver::AgentAccess access =
      FakeAccess({Script{}, Script{}}, {"", "agent b:1 speaks protocol 1"});
  access.link = [&opened](size_t index, const std::string&) -> driver::AgentLinkPtr {
    opened = true;
    return std::make_unique<FakeLink>(index, Script{});
  };
  const v1::RunReport r = driver::DriveRun(TwoAgents(), driver::RunHooks(), access);
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED);
  EXPECT_FALSE(opened);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_EQ(r.reasons(0), "agent b:1 speaks protocol 1");
}

TEST(RunDriver, AllAgentsFinishingGivesOkWithExactSums) {
  const v1::RunReport r =
      driver::DriveRun(TwoAgents(), driver::RunHooks(), FakeAccess({Script{}, Script{}}));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK);
  EXPECT_EQ(r.totals().counters().messages(), 80000u);
  EXPECT_EQ(r.totals().counters().connections_established(), 10u);
  EXPECT_DOUBLE_EQ(r.totals().rates().messages_per_sec(), 20000);
}

// The driver's event queue is bounded: agents that send their intervals faster than the driver
// takes them wait (a real one by gRPC's flow control) rather than grow the controller's memory,
// and nothing they sent is lost or stuck.
TEST(RunDriver, AFloodOfIntervalsPassesThroughTheBoundedQueueWhole) {
  Script flood;
  flood.intervals = 5000;  // at once, past the queue's 1,024
  flood.messages_per_interval = 3;
  driver::RunConfig c = TwoAgents();
  c.duration = absl::Seconds(5000);
  const v1::RunReport r = driver::DriveRun(c, driver::RunHooks(), FakeAccess({flood, flood}));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK) << (r.reasons_size() > 0 ? r.reasons(0) : "");
  EXPECT_EQ(r.totals().counters().messages(), 2 * 5000 * 3u);
  EXPECT_EQ(r.intervals_size(), 5000);
}

// Loss by silence, on the driver's own clock: an agent that reports one interval and then says
// nothing (its stream still open) is lost once 5 s of the clock pass without a word from it, and
// the run goes on without it. Played on a stepped clock, the 10 s run takes well under a second.
TEST(RunDriver, ASilentAgentIsLostAfterFiveSecondsOfItsClockAndTheRunGoesOn) {
  Script frozen;
  frozen.intervals = 1;
  frozen.silent = true;
  driver::RunConfig c = TwoAgents();
  c.duration = absl::Seconds(10);
  Script steady;
  steady.intervals = 10;
  SteppedClock clock;
  driver::RunHooks hooks;
  hooks.now = clock.Source();
  std::vector<std::string> said;
  absl::Mutex said_mu;
  hooks.print = [&](const std::string& line) {
    absl::MutexLock lock(&said_mu);
    said.push_back(line);
  };
  clock.Run();
  const absl::Time real_start = absl::Now();
  const v1::RunReport r = driver::DriveRun(c, hooks, FakeAccess({steady, frozen}));
  clock.Stop();
  EXPECT_LT(absl::Now() - real_start, absl::Seconds(5)) << "the driver waited in real time";
  EXPECT_EQ(r.status(), v1::RUN_STATUS_PARTIAL);
  ASSERT_EQ(r.lost_agents_size(), 1);
  EXPECT_NE(r.lost_agents(0).find("b:1 lost at interval 1: silent for 5s"), std::string::npos)
      << r.lost_agents(0);
  EXPECT_EQ(r.totals().counters().messages(), 11 * 10000u);  // a's ten intervals, b's one
}

// Heartbeats keep the agents' leases alive: one every quarter lease of the driver's clock, to
// every agent still running. The fake agents pace their 40 one-second intervals on that clock, so
// the 40 s run (0.4 s of real time) should carry a heartbeat every 2 s: about 20 to each.
TEST(RunDriver, HeartbeatsGoOutEveryQuarterLeaseOfTheDriversClock) {
  SteppedClock clock;
  std::atomic<int> heartbeats[2] = {0, 0};
  driver::AgentAccess access = FakeAccess({Script{}, Script{}});
  access.link = [&](size_t index, const std::string&) -> driver::AgentLinkPtr {
    Script paced;
    paced.intervals = 40;
    paced.clock = clock.Source();
    paced.heartbeats = &heartbeats[index];
    return std::make_unique<FakeLink>(index, paced);
  };
  driver::RunConfig c = TwoAgents();
  c.duration = absl::Seconds(40);
  c.lease = absl::Seconds(8);
  driver::RunHooks hooks;
  hooks.now = clock.Source();
  clock.Run();
  const v1::RunReport r = driver::DriveRun(c, hooks, access);
  clock.Stop();
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK) << (r.reasons_size() > 0 ? r.reasons(0) : "");
  for (const std::atomic<int>& h : heartbeats) {
    EXPECT_GE(h.load(), 12);  // a starved driver thread may miss a beat or two
    EXPECT_LE(h.load(), 25);
  }
}

}  // namespace
}  // namespace salvo::controller
