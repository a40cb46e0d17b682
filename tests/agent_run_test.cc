// worker::CarryOutRun, the agent's run without its transport, against a real target on loopback.
#include "worker/agent_run.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/cidr.h"
#include "target/target_server.h"

namespace salvo::worker {
namespace {

// This process's resident set, from /proc/self/statm.
int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// Issue 20: the agent kept every interval, histograms and all, until the end of the run, so its
// memory grew with the run's length (a 7-day run at 10 ms intervals is allowed). Intervals are
// streamed and forgotten now: between 10 s and 50 s of a run at 10 ms intervals, the agent's
// memory stays put.
TEST(CarryOutRun, MemoryDoesNotGrowWithTheNumberOfIntervals) {
  target::TargetConfig tc;
  tc.listen = "127.0.0.1:0";
  tc.mode = target::TargetMode::kEcho;
  tc.threads = 1;
  absl::StatusOr<std::unique_ptr<target::TargetServer>> target = target::TargetServer::Start(tc);
  ASSERT_TRUE(target.ok()) << target.status();

  v1::RunSpec spec;
  spec.set_connections(4);
  spec.set_agent_name("memory");
  v1::LoadSpec* load = spec.mutable_load();
  load->set_target(absl::StrCat("127.0.0.1:", (*target)->port()));
  load->set_workload(v1::WORKLOAD_ECHO);
  load->set_message_size(64);
  load->set_duration_ms(60'000);
  load->set_interval_ms(10);
  load->set_threads(1);
  // Open loop at a low rate: every interval carries round trips and their histograms, and the
  // run leaves the cores to the rest of the suite.
  load->set_rate(400);
  spec.set_rate(400);
  absl::StatusOr<LoadPlan> plan = PrepareRun(spec, {*net::Cidr::Parse("127.0.0.0/8")});
  ASSERT_TRUE(plan.ok()) << plan.status();

  RunSignals signals;
  signals.NotifyStart();
  int64_t rss_at_10s = 0, rss_at_50s = 0;
  uint32_t intervals = 0;
  uint64_t round_trips = 0;
  const absl::Status s =
      CarryOutRun(spec, *plan, AgentIdentity{"test"}, signals, [&](const v1::RunResponse& r) {
        if (r.has_interval()) {
          round_trips += r.interval().interval().counters().messages();
          // Interval 1,000 ends at 10 s, 5,000 at 50 s.
          if (++intervals == 1000) rss_at_10s = ResidentBytes();
          if (intervals == 5000) rss_at_50s = ResidentBytes();
        }
        return true;
      });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_GE(intervals, 5000u);
  EXPECT_GT(round_trips, 20'000u);  // 400/s for 60 s, with room for a loaded machine
  ASSERT_GT(rss_at_10s, 0);
  EXPECT_LE(rss_at_50s - rss_at_10s, 2 << 20)
      << "10 s: " << rss_at_10s << " B, 50 s: " << rss_at_50s << " B";
}

}  // namespace
}  // namespace salvo::worker
