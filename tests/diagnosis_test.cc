// The diagnosis against servers that misbehave the way the origin notes' receiver did, and
// against a fair one that must draw no accusation. Loopback only; each run is a few seconds.
#include <signal.h>

#include <algorithm>
#include <deque>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/diagnosis.h"
#include "gtest/gtest.h"
#include "output/render.h"
#include "process/child.h"
#include "tests/cluster.h"
#include "tests/test_util.h"
#include "wire/figures.h"

namespace salvo {
namespace {

using driver::RunConfig;

using testing::Binary;
using testing::Sh;

class Diagnosis : public testing::Cluster {
 protected:
  void SetUp() override { dir_ = *process::MakeTempDir("salvo-diagnosis-"); }
  void TearDown() override {
    for (process::Child& c : children_) c.Kill();
    std::system(absl::StrCat("rm -rf ", dir_).c_str());
  }

  // Starts tests/misbehaving_server with `args`; returns its port.
  uint16_t StartMisbehaving(std::vector<std::string> args) {
    args.insert(args.end(), {"--max-seconds", "60"});
    return Serve(Binary("tests/misbehaving-server"), std::move(args));
  }

  // Starts a server binary that takes --port-file; it is killed when the test ends.
  uint16_t Serve(const std::string& binary, std::vector<std::string> args) {
    absl::StatusOr<process::StartedServer> s = process::StartServer(
        binary, std::move(args), dir_, absl::StrCat("server", children_.size()));
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return 0;
    children_.push_back(std::move(s->child));
    return s->port;
  }

  RunConfig Config(workload::Kind kind, uint16_t port, uint32_t connections) {
    RunConfig c = Cluster::Config(kind, port, connections);
    c.message_size = 4096;
    c.duration = absl::Seconds(3);
    c.interval = absl::Seconds(1);  // the lines below name whole seconds
    // Two workers: the connect order the diagnosis names runs across workers, whose threads
    // connect at once and register in either order.
    c.threads = 2;
    c.drain = absl::Milliseconds(300);
    return c;
  }

  static std::string Line(const v1::RunReport& r, const std::string& kind) {
    for (const std::string& d : r.diagnostics()) {
      if (absl::StartsWith(d, kind + ":")) return d;
    }
    return "";
  }

  std::string dir_;
  std::deque<process::Child> children_;
};

class Starved : public Diagnosis, public ::testing::WithParamInterface<workload::Kind> {};

INSTANTIATE_TEST_SUITE_P(Workloads, Starved,
                         ::testing::Values(workload::Kind::kStreamOut, workload::Kind::kEcho),
                         [](const auto& info) {
                           return info.param == workload::Kind::kEcho ? "echo" : "stream_out";
                         });

TEST_P(Starved, AServerThatReadsOnlyTheFirst64Of600IsNamed) {
  const bool echo = GetParam() == workload::Kind::kEcho;
  std::vector<std::string> args = {"--read-first", "64"};
  if (echo) args.push_back("--echo");
  const uint16_t port = StartMisbehaving(args);
  StartAgent();
  const v1::RunReport r = Run(Config(GetParam(), port, 600));
  const std::string starved = Line(r, "starved");
  ASSERT_FALSE(starved.empty()) << output::RenderReport(r);
  // Named from the first or second interval on.
  EXPECT_TRUE(absl::StrContains(starved,
                                "starved: 536 of 600 connections delivered nothing from "
                                "t=0.0 s") ||
              absl::StrContains(starved,
                                "starved: 536 of 600 connections delivered nothing from "
                                "t=1.0 s"))
      << starved;
  EXPECT_TRUE(absl::StrContains(starved, "64 carried 100%")) << starved;
  EXPECT_TRUE(absl::StrContains(starved, "peer window 0 on")) << starved;
  EXPECT_TRUE(absl::StrContains(starved, "receiver-window-limited")) << starved;
  EXPECT_TRUE(absl::StrContains(starved, "The 64 served are the first 64 connected.")) << starved;
  if (!echo) {
    // The senders' windows closed: the target is not reading them.
    EXPECT_TRUE(absl::StrContains(starved, "peer window 0 on 536")) << starved;
    EXPECT_TRUE(absl::StrContains(starved, "the target is not reading them")) << starved;
  }
  EXPECT_EQ(r.agents(0).served_first_connected(), 64u);
  ASSERT_EQ(r.agents(0).worst_connections_size(), 20);
  // The worst delivered at most what the server's kernel buffered before its window closed.
  EXPECT_LT(r.agents(0).worst_connections(0).bytes_delivered(), 4u << 20);
  EXPECT_GE(r.agents(0).worst_connections(0).index(), 64u);
  EXPECT_GE(r.agents(0).worst_connections(0).longest_stall_intervals(), 2u);
  std::cerr << output::RenderReport(r);
}

TEST_F(Diagnosis, ThirtyConnectionsToTheSameServerDrawNoDiagnosis) {
  const uint16_t port = StartMisbehaving({"--read-first", "64"});
  StartAgent();
  const v1::RunReport r = Run(Config(workload::Kind::kStreamOut, port, 30));
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK);
  for (const char* kind : {"starved", "stall", "unfair", "drain"}) {
    EXPECT_EQ(Line(r, kind), "") << output::RenderReport(r);
  }
}

TEST_F(Diagnosis, AServerThatStopsReadingForThreeSecondsIsAStallWithItsTimeRange) {
  const uint16_t port = StartMisbehaving({"--pause-at", "1.5", "--pause-for", "3", "--echo"});
  StartAgent();
  RunConfig c = Config(workload::Kind::kEcho, port, 30);
  c.duration = absl::Seconds(6);
  const v1::RunReport r = Run(c);
  const std::string stall = Line(r, "stall");
  ASSERT_FALSE(stall.empty()) << output::RenderReport(r);
  // The pause is t=1.5 s to 4.5 s (from the first accept); within one interval of that.
  double from = -1, to = -1;
  ASSERT_EQ(std::sscanf(stall.c_str(),
                        "stall: all 30 connections delivered nothing from t=%lf s "
                        "to t=%lf s",
                        &from, &to),
            2)
      << stall;
  EXPECT_GE(from, 0.5);
  EXPECT_LE(from, 2.5);
  EXPECT_GE(to, 3.5);
  EXPECT_LE(to, 5.5);
  EXPECT_EQ(r.status(), v1::RUN_STATUS_OK) << "it recovered before the end";
}

// A fair target draws no accusation. Issue 21's false-alarm repro (stream-out, epoll, 1000
// connections of 1 MiB, no warm-up) is not this test yet: it put this host's TCP under memory
// pressure in most runs (now named by a memory-pressure line), and one run in five still showed
// one connection with an open peer window and no delivery for a second without pressure.
TEST_F(Diagnosis, AFairServerWith600ConnectionsDrawsNoAccusationFiveTimesInARow) {
  target::TargetServer& target = StartTarget(target::TargetMode::kSink);
  StartAgent();
  for (int run = 0; run < 5; ++run) {
    RunConfig c = Config(workload::Kind::kStreamOut, target.port(), 600);
    c.duration = absl::Seconds(2);
    const v1::RunReport r = Run(c);
    EXPECT_EQ(r.status(), v1::RUN_STATUS_OK);
    for (const char* kind : {"starved", "stall", "unfair"}) {
      EXPECT_EQ(Line(r, kind), "") << "run " << run << "\n" << output::RenderReport(r);
    }
    if (const std::string host = Line(r, "memory-pressure"); !host.empty()) {
      std::cerr << "run " << run << ": " << host << "\n";
    }
    EXPECT_GT(r.fairness().jain(), 0.9) << output::RenderReport(r);
  }
}

TEST_F(Diagnosis, ATargetKilledMidRunFailsTheRunNamingTheClosedConnections) {
  const uint16_t port =
      Serve(Binary("salvo-target"), {"--listen", "127.0.0.1:0", "--mode", "sink", "--quiet"});
  process::Child& victim = children_.back();
  StartAgent();
  RunConfig c = Config(workload::Kind::kStreamOut, port, 8);
  c.duration = absl::Seconds(4);
  c.interval = absl::Milliseconds(500);
  const v1::RunReport r = RunUntilIntervals(c, 2, [&] { ::kill(victim.pid(), SIGKILL); });
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED) << output::RenderReport(r);
  bool named = false;
  for (const std::string& reason : r.reasons()) {
    named |= absl::StrContains(reason, "the target closed") &&
             absl::StrContains(reason, "during the measured time");
  }
  EXPECT_TRUE(named) << output::RenderReport(r);
}

TEST_F(Diagnosis, AnAgentSharingItsCpuWithABusyLoopIsCalledGeneratorBound) {
  // The agent and a busy loop pinned to the same CPU: its worker waits for that CPU about half
  // of every interval.
  const std::string port_file = absl::StrCat(dir_, "/agent.port");
  absl::StatusOr<process::Child> agent = process::Child::Spawn(
      "/usr/bin/taskset",
      {"-c", "0", Binary("salvo-agent"), "--listen", "127.0.0.1:0", "--port-file", port_file},
      absl::StrCat(dir_, "/agent.log"));
  ASSERT_TRUE(agent.ok());
  children_.push_back(std::move(*agent));
  const uint16_t agent_port =
      *process::WaitForPortFile(port_file, children_.back(), absl::Seconds(10));
  // Bounded: it ends by itself after 20 s even if this test dies.
  absl::StatusOr<process::Child> hog =
      process::Child::Spawn("/usr/bin/taskset",
                            {"-c", "0", "/bin/sh", "-c",
                             "end=$(($(date +%s)+20)); while [ $(date +%s) -lt $end ]; do :; done"},
                            absl::StrCat(dir_, "/hog.log"));
  ASSERT_TRUE(hog.ok());
  children_.push_back(std::move(*hog));
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 10);
  c.agents = {absl::StrCat("127.0.0.1:", agent_port)};
  const v1::RunReport r = Run(c);
  const std::string line = Line(r, "generator-bound");
  ASSERT_FALSE(line.empty()) << output::RenderReport(r);
  EXPECT_TRUE(absl::StrContains(line, "waited for a CPU")) << line;
  EXPECT_TRUE(absl::StrContains(line, "these intervals say nothing about the target")) << line;
  std::cerr << line << "\n";
}

// Issue 21: "waited for a CPU 534%". Linux adds a run-queue wait to schedstat only when the wait
// ends, so a reading taken from outside while the worker waited put a long wait into the
// interval in which it ended. The worker now reads its own figures when it samples (it is
// running then): CPU and wait cover the same span and together never pass it.
TEST_F(Diagnosis, ARealTimeHogThatStarvesTheWorkerNeverMakesItsSharesPassTheSpan) {
  if (Sh("command -v chrt >/dev/null && chrt -f 1 true") != 0) {
    GTEST_SKIP() << "this machine cannot run a SCHED_FIFO process (chrt)";
  }
  const std::string port_file = absl::StrCat(dir_, "/agent.port");
  absl::StatusOr<process::Child> agent = process::Child::Spawn(
      "/usr/bin/taskset",
      {"-c", "0", Binary("salvo-agent"), "--listen", "127.0.0.1:0", "--port-file", port_file},
      absl::StrCat(dir_, "/agent.log"));
  ASSERT_TRUE(agent.ok());
  children_.push_back(std::move(*agent));
  const uint16_t agent_port =
      *process::WaitForPortFile(port_file, children_.back(), absl::Seconds(10));
  // From 0.5 s into the run, 1.8 s of a real-time busy loop on the agent's CPU: the agent runs
  // only in the slice the kernel keeps back from real-time tasks (5% of each second).
  absl::StatusOr<process::Child> hog = process::Child::Spawn(
      "/bin/sh",
      // The loop ends itself: a `timeout` at the same real-time priority would never get the
      // CPU back to stop it.
      {"-c",
       "sleep 0.5; exec chrt -f 1 taskset -c 0 sh -c 'end=$(($(date +%s%N) + 1800000000)); "
       "while [ $(date +%s%N) -lt $end ]; do :; done'"},
      absl::StrCat(dir_, "/hog.log"));
  ASSERT_TRUE(hog.ok());
  children_.push_back(std::move(*hog));
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  RunConfig c = Config(workload::Kind::kEcho, target.port(), 10);
  c.agents = {absl::StrCat("127.0.0.1:", agent_port)};
  c.warmup = absl::ZeroDuration();
  c.interval = absl::Milliseconds(250);
  const v1::RunReport r = Run(c);
  double worst = 0;
  std::string shares;
  for (const v1::Interval& i : r.agents(0).intervals()) {
    for (const v1::WorkerLoad& w : i.workers()) {
      absl::StrAppend(&shares, "interval ", i.index(), " worker ", w.worker(), ": cpu ",
                      w.cpu_share(), " wait ", w.runqueue_share(), " late_ms ", i.late_ms(), "\n");
      worst = std::max(worst, w.runqueue_share());
    }
  }
  for (const v1::Interval& i : r.agents(0).intervals()) {
    for (const v1::WorkerLoad& w : i.workers()) {
      // Two clocks (the scheduler's and CLOCK_MONOTONIC) and a reading's own length: up to 1.10
      // seen on a host loaded by other work, not the 534% of a wait put into the wrong interval.
      EXPECT_LE(w.cpu_share() + w.runqueue_share(), 1.2) << shares;
    }
  }
  // The hog did starve the worker: the wait is there, within the span.
  EXPECT_GE(worst, 0.5) << shares << output::RenderReport(r);
  std::cerr << "largest run-queue share " << worst << "\n";
}

// Issue 21: against a server that answers each read 10 ms late (2 connections, --rate 400), 4 of
// 5 runs failed with "the generator could not keep up ... with its workers saturated" while every
// due message met a busy connection and the worker used 2% of a CPU.
TEST_F(Diagnosis, AnOpenLoopAgainstASlowServerBlamesTheServerNotTheGenerator) {
  const uint16_t port = StartMisbehaving({"--echo", "--delay-ms", "10"});
  StartAgent();
  RunConfig c = Config(workload::Kind::kEcho, port, 2);
  c.message_size = 64;
  c.rate = 400;
  c.warmup = absl::ZeroDuration();
  c.duration = absl::Seconds(2);
  c.interval = absl::Milliseconds(500);
  const v1::RunReport r = Run(c);
  const std::string shown = output::RenderReport(r);
  EXPECT_TRUE(absl::StrContains(Line(r, "overloaded"), "the target did not keep up")) << shown;
  for (const std::string& reason : r.reasons()) {
    EXPECT_FALSE(absl::StrContains(reason, "the generator could not keep up")) << shown;
  }
  // The messages waited for the target's connections, not for salvo: its own lag is small.
  EXPECT_EQ(Line(r, "generator-lag"), "") << shown;
  const v1::LatencySummary& own = wire::FindSummary(r.timings(), metrics::Timing::kGeneratorLag);
  const v1::LatencySummary& lag = wire::FindSummary(r.timings(), metrics::Timing::kScheduleLag);
  EXPECT_GT(lag.p50_us(), 10'000) << shown;
  EXPECT_LT(own.p50_us(), 0.1 * lag.p50_us()) << shown;
}

// Issue 22: a server that answered every request twice gave status ok, with twice the bytes
// received and latencies of requests completed early by the surplus.
TEST_F(Diagnosis, AServerThatAnswersTwiceFailsTheRunWithTheSurplusCounted) {
  const uint16_t port = StartMisbehaving({"--echo", "--echo-twice"});
  StartAgent();
  RunConfig c = Config(workload::Kind::kEcho, port, 2);
  c.message_size = 64;
  c.warmup = absl::ZeroDuration();
  c.duration = absl::Seconds(1);
  c.interval = absl::Milliseconds(500);
  const v1::RunReport r = Run(c);
  EXPECT_EQ(r.status(), v1::RUN_STATUS_FAILED) << output::RenderReport(r);
  EXPECT_GT(r.totals().counters().unrequested_responses(), 0u);
  bool said = false;
  for (const std::string& reason : r.reasons()) {
    said |= absl::StrContains(reason, "responses with no request awaiting them");
  }
  EXPECT_TRUE(said) << output::RenderReport(r);
}

// Reports built by hand, for the rules that need no sockets.
v1::RunReport SyntheticReport(v1::Workload workload, const std::vector<double>& completions,
                              const std::vector<double>& delivered_mb) {
  v1::RunReport r;
  r.mutable_spec()->mutable_load()->set_workload(workload);
  for (size_t i = 0; i < completions.size(); ++i) {
    v1::IntervalPoint* p = r.add_intervals();
    p->set_index(static_cast<uint32_t>(i));
    p->set_elapsed_s(static_cast<double>(i + 1));
    p->mutable_rates()->set_completions_per_sec(completions[i]);
    p->mutable_rates()->set_mb_per_sec_delivered(delivered_mb[i]);
    p->mutable_fairness()->set_connections(10);
  }
  return r;
}

// A timing's summary in a hand-built report.
void AddTiming(v1::RunReport* r, metrics::Timing t, uint64_t count, double p99_us) {
  v1::TimingHistogram* h = r->add_timings();
  h->set_timing(static_cast<v1::Timing>(metrics::Index(t) + 1));  // TIMING_ROUND_TRIP is 1
  h->mutable_summary()->set_count(count);
  h->mutable_summary()->set_p99_us(p99_us);
}

bool HasLine(const driver::Diagnosis& d, const std::string& kind) {
  return std::any_of(d.lines.begin(), d.lines.end(),
                     [&](const std::string& l) { return absl::StartsWith(l, kind + ":"); });
}

// Issue 21: collapse for stream-out was computed on completions, so it said "fell to 0% of the
// peak" in the interval with the run's peak delivery. Delivery decides now.
TEST(DiagnoseReport, AStreamOutCollapseIsAFallInDeliveryNotInCompletions) {
  const v1::RunReport steady =
      SyntheticReport(v1::WORKLOAD_STREAM_OUT, {1000, 1000, 10}, {500, 500, 520});
  EXPECT_FALSE(HasLine(driver::Diagnose(steady, 1.0), "collapse"));
  const v1::RunReport fell =
      SyntheticReport(v1::WORKLOAD_STREAM_OUT, {1000, 1000, 1000}, {500, 500, 100});
  const driver::Diagnosis d = driver::Diagnose(fell, 1.0);
  ASSERT_TRUE(HasLine(d, "collapse"));
  EXPECT_NE(d.lines.back().find("delivered MB/s fell to 20% of the peak"), std::string::npos)
      << d.lines.back();
  // Echo's throughput is its completions, as before.
  EXPECT_TRUE(HasLine(
      driver::Diagnose(SyntheticReport(v1::WORKLOAD_ECHO, {1000, 1000, 10}, {5, 5, 5}), 1.0),
      "collapse"));
}

// Issue 21: an interval counted as generator-bound at 10% run-queue wait hid a stall even when
// every peer window was 0. A closed peer window is the target's doing whatever the run queue
// says.
TEST(DiagnoseReport, AStallWithClosedPeerWindowsIsNamedHoweverBusyTheGenerator) {
  v1::RunReport r = SyntheticReport(v1::WORKLOAD_STREAM_OUT, {0, 0, 0}, {0, 0, 0});
  for (v1::IntervalPoint& p : *r.mutable_intervals()) {
    p.mutable_fairness()->set_starved_connections(10);
    p.mutable_tcp()->set_zero_window(10);
    p.set_max_worker_runqueue_share(0.2);
  }
  EXPECT_TRUE(HasLine(driver::Diagnose(r, 1.0), "stall"));
  // With open windows, a generator that waited for a CPU explains the silence.
  for (v1::IntervalPoint& p : *r.mutable_intervals()) p.mutable_tcp()->set_zero_window(0);
  EXPECT_FALSE(HasLine(driver::Diagnose(r, 1.0), "stall"));
}

// Issue 21: a worker that did not answer the sampling request in time left its connections'
// previous samples in the interval, which read as "starved" (a stall when it was the only
// worker), and the interval's rates as a collapse. Such an interval is partial now.
TEST(DiagnoseReport, AnIntervalAWorkerDidNotSampleIsPartialNotAStallOrACollapse) {
  v1::RunReport r =
      SyntheticReport(v1::WORKLOAD_STREAM_OUT, {1000, 1000, 1000, 1000}, {500, 0, 1000, 500});
  // Interval 1: the only worker was late, so no connection was sampled.
  r.mutable_intervals(1)->mutable_fairness()->set_connections(0);
  r.mutable_intervals(1)->mutable_fairness()->set_unsampled_connections(10);
  const driver::Diagnosis d = driver::Diagnose(r, 1.0);
  for (const char* kind : {"stall", "collapse", "starved"}) {
    EXPECT_FALSE(HasLine(d, kind)) << absl::StrJoin(d.lines, "\n");
  }
  ASSERT_TRUE(HasLine(d, "unsampled")) << absl::StrJoin(d.lines, "\n");
  EXPECT_TRUE(absl::StrContains(d.lines[0], "up to 10 connections out of t=1.0-2.0 s"))
      << d.lines[0];
  // The same fall without the mark is a collapse: the rule above is what silences it.
  r.mutable_intervals(1)->mutable_fairness()->set_unsampled_connections(0);
  EXPECT_TRUE(HasLine(driver::Diagnose(r, 1.0), "collapse"));
}

// Issue 21: at 20k/s against a healthy target 95-99% of the corrected p99 was the generator's
// own lateness, and the report blamed nobody. The verdict names the generator now.
TEST(DiagnoseReport, AnOpenLoopWhoseLatencyIsTheGeneratorsOwnLatenessSaysSo) {
  v1::RunReport r = SyntheticReport(v1::WORKLOAD_ECHO, {1000, 1000, 1000}, {1, 1, 1});
  r.mutable_spec()->mutable_load()->set_rate(20000);
  r.mutable_totals()->mutable_counters()->set_messages_due(1000);
  AddTiming(&r, metrics::Timing::kScheduleLag, 1000, 2000);
  AddTiming(&r, metrics::Timing::kGeneratorLag, 1000, 1900);
  AddTiming(&r, metrics::Timing::kRoundTrip, 1000, 2100);
  AddTiming(&r, metrics::Timing::kServiceTime, 1000, 150);
  const driver::Diagnosis d = driver::Diagnose(r, 1.0);
  ASSERT_TRUE(HasLine(d, "generator-lag")) << absl::StrJoin(d.lines, "\n");
  EXPECT_TRUE(absl::StrContains(d.lines[0], "is 90% of the corrected round-trip p99"))
      << d.lines[0];
  // Lateness spent waiting for busy connections is the target's: no such line.
  r.mutable_timings(1)->mutable_summary()->set_p99_us(100);
  EXPECT_FALSE(HasLine(driver::Diagnose(r, 1.0), "generator-lag"));
}

// The open loop's two verdicts on a schedule not kept: the generator's when its connections were
// free or its worker saturated, the target's when the messages met busy connections.
TEST(DiagnoseReport, AnUnkeptScheduleBlamesTheGeneratorOnlyWhenItWasTheLimit) {
  v1::RunReport r = SyntheticReport(v1::WORKLOAD_ECHO, {1000, 1000, 1000}, {1, 1, 1});
  r.mutable_spec()->mutable_load()->set_rate(100000);
  r.mutable_totals()->mutable_counters()->set_messages_due(300000);
  AddTiming(&r, metrics::Timing::kScheduleLag, 100000, 0);
  // Free connections: the generator fell behind by itself.
  driver::Diagnosis d = driver::Diagnose(r, 1.0);
  ASSERT_EQ(d.failures.size(), 1u) << absl::StrJoin(d.lines, "\n");
  EXPECT_TRUE(absl::StrContains(d.failures[0], "while its connections were free")) << d.failures[0];
  // Busy connections and a worker at 30% of a CPU with a 20% run-queue wait: the target's pace.
  r.mutable_totals()->mutable_counters()->set_pipeline_full(190000);
  for (v1::IntervalPoint& p : *r.mutable_intervals()) {
    p.set_max_worker_cpu_share(0.3);
    p.set_max_worker_runqueue_share(0.2);
  }
  d = driver::Diagnose(r, 1.0);
  EXPECT_TRUE(d.failures.empty()) << d.failures[0];
  EXPECT_TRUE(HasLine(d, "overloaded")) << absl::StrJoin(d.lines, "\n");
  // The same with a saturated worker: the generator again.
  r.mutable_intervals(1)->set_max_worker_cpu_share(0.97);
  d = driver::Diagnose(r, 1.0);
  ASSERT_EQ(d.failures.size(), 1u);
  EXPECT_TRUE(absl::StrContains(d.failures[0], "with its workers saturated")) << d.failures[0];
}

// Connections with open peer windows that sent nothing while the agent host's TCP was under
// memory pressure: the kernel withheld their send buffer. The host is named, not the target.
TEST(DiagnoseReport, StarvationUnderHostTcpMemoryPressureIsTheHostsNotTheTargets) {
  v1::RunReport r = SyntheticReport(v1::WORKLOAD_STREAM_OUT, {100, 100, 100}, {500, 500, 500});
  for (v1::IntervalPoint& p : *r.mutable_intervals()) {
    p.mutable_fairness()->set_connections(1000);
    p.mutable_fairness()->set_starved_connections(8);
    p.mutable_tcp()->set_sampled_connections(1000);
  }
  EXPECT_TRUE(HasLine(driver::Diagnose(r, 1.0), "starved"));
  for (v1::IntervalPoint& p : *r.mutable_intervals()) p.set_tcp_memory_pressure_ms(40);
  driver::Diagnosis d = driver::Diagnose(r, 1.0);
  EXPECT_FALSE(HasLine(d, "starved")) << absl::StrJoin(d.lines, "\n");
  EXPECT_TRUE(HasLine(d, "memory-pressure")) << absl::StrJoin(d.lines, "\n");
  // A closed peer window is the target's, pressure or not.
  for (v1::IntervalPoint& p : *r.mutable_intervals()) p.mutable_tcp()->set_starved_zero_window(8);
  EXPECT_TRUE(HasLine(driver::Diagnose(r, 1.0), "starved"));
}

// Issue 21: the unfair line always said the busiest connections "carried 0%" (the run-level
// fairness travels without its per-connection parts), and one interval with some connections
// starved, which draws no starved line, silenced it.
TEST(DiagnoseReport, UnfairSaysWhatTheBusiestCarriedAndOneStarvedIntervalDoesNotSilenceIt) {
  v1::RunReport r = SyntheticReport(v1::WORKLOAD_STREAM_OUT, {100, 100, 100}, {5, 5, 5});
  r.mutable_intervals(1)->mutable_fairness()->set_starved_connections(3);
  metrics::FairnessStats f;
  for (int i = 0; i < 9; ++i) f.Add(1000);
  f.Add(100'000);
  wire::FairnessToProto(f, /*with_parts=*/false, r.mutable_fairness());
  const driver::Diagnosis d = driver::Diagnose(r, 1.0);
  ASSERT_TRUE(HasLine(d, "unfair")) << absl::StrJoin(d.lines, "\n");
  const std::string line = *std::find_if(d.lines.begin(), d.lines.end(), [](const std::string& l) {
    return absl::StartsWith(l, "unfair:");
  });
  EXPECT_NE(line.find("the busiest 1 connections (10%) carried 92% of the bytes"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace salvo
