// wire::CheckLoadSpec, the one check of a load spec: each rule refuses its case in one line, and
// the controller (driver::Validate on flags) and the agent (worker::PlanFromSpec on the wire)
// refuse the same spec in the same words.
#include "wire/spec_check.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "driver/run_config.h"
#include "gtest/gtest.h"
#include "plan/limits.h"
#include "worker/load_run.h"

namespace salvo {
namespace {

v1::LoadSpec Echo() {
  v1::LoadSpec load;
  load.set_target("127.0.0.1:7000");
  load.set_workload(v1::WORKLOAD_ECHO);
  load.set_message_size(64);
  load.set_duration_ms(1000);
  load.set_interval_ms(1000);
  return load;
}

struct Case {
  const char* what;
  std::function<void(v1::LoadSpec*)> change;
  const char* says;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"size 0", [](v1::LoadSpec* l) { l->set_message_size(0); }, "must be 1 byte to 1 GiB"},
      {"size past 1 GiB", [](v1::LoadSpec* l) { l->set_message_size(plan::kMaxMessageSize + 1); },
       "must be 1 byte to 1 GiB"},
      {"pipeline past the limit", [](v1::LoadSpec* l) { l->set_pipeline(plan::kMaxPipeline + 1); },
       "--pipeline must be at most 65536"},
      {"rr without a request", [](v1::LoadSpec* l) { l->set_workload(v1::WORKLOAD_RR); },
       "needs --request-file"},
      {"rr with both framings",
       [](v1::LoadSpec* l) {
         l->set_workload(v1::WORKLOAD_RR);
         l->set_request("PING\r\n");
         l->set_response_bytes(7);
         l->set_response_until("\r\n");
       },
       "exactly one of --response-bytes"},
      {"rr verified",
       [](v1::LoadSpec* l) {
         l->set_workload(v1::WORKLOAD_RR);
         l->set_request("PING\r\n");
         l->set_response_until("\r\n");
         l->set_verify(true);
       },
       "--verify checks salvo's own pattern"},
      {"framing on echo", [](v1::LoadSpec* l) { l->set_response_bytes(5); },
       "are for --workload rr"},
      {"connect-rr pipelined",
       [](v1::LoadSpec* l) {
         l->set_workload(v1::WORKLOAD_CONNECT_RR);
         l->set_pipeline(4);
       },
       "connect-rr sends one request per connection"},
      {"reset close on echo", [](v1::LoadSpec* l) { l->set_close(v1::CLOSE_MODE_RST); },
       "--close is for --workload connect-rr"},
      {"huge buffer", [](v1::LoadSpec* l) { l->set_sndbuf(uint32_t{3} << 30); },
       "must be at most 1g"},
      {"drain past 7 days", [](v1::LoadSpec* l) { l->set_drain_ms(uint64_t{1} << 40); },
       "drain must be at most 7 days"},
      {"rate on stream-in",
       [](v1::LoadSpec* l) {
         l->set_workload(v1::WORKLOAD_STREAM_IN);
         l->set_rate(100);
       },
       "stream-in sends nothing"},
      {"negative rate", [](v1::LoadSpec* l) { l->set_rate(-1); }, "--rate must be more than 0"},
      {"silent stages",
       [](v1::LoadSpec* l) {
         v1::Stage* s = l->add_stages();
         s->set_duration_ms(1000);
         s->set_rate(0);
       },
       "every rate is 0"},
  };
  return cases;
}

TEST(CheckLoadSpec, AGoodSpecPassesAndEachRuleRefusesItsCaseInOneLine) {
  EXPECT_TRUE(wire::CheckLoadSpec(Echo()).ok());
  for (const Case& c : Cases()) {
    v1::LoadSpec load = Echo();
    c.change(&load);
    const absl::Status s = wire::CheckLoadSpec(load);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_TRUE(absl::StrContains(s.message(), c.says)) << c.what << ": " << s;
    EXPECT_FALSE(absl::StrContains(s.message(), "\n")) << c.what;
  }
}

// The agent refuses what the controller's check refuses, in its words: a controller that skipped
// the check (or a hostile one) is told the same thing a user would be.
TEST(CheckLoadSpec, TheAgentRefusesEveryCaseInTheControllersWords) {
  for (const Case& c : Cases()) {
    v1::RunSpec run;
    *run.mutable_load() = Echo();
    c.change(run.mutable_load());
    run.set_connections(1);
    run.set_rate(run.load().rate());
    const absl::StatusOr<worker::LoadPlan> plan =
        worker::PlanFromSpec(run, net::HostLookup::kNumericOnly);
    ASSERT_FALSE(plan.ok()) << c.what;
    EXPECT_EQ(plan.status(), wire::CheckLoadSpec(run.load())) << c.what;
  }
}

// And the controller's Validate reaches the same check from flags.
TEST(CheckLoadSpec, TheControllerRefusesRrFramingAndPacingThroughIt) {
  driver::RunConfig config;
  config.agents = {"127.0.0.1:7100"};
  config.target = "127.0.0.1:7000";
  config.workload = workload::Kind::kRr;
  const absl::Status no_request = driver::Validate(config);
  EXPECT_EQ(no_request, wire::CheckLoadSpec(driver::LoadSpecOf(config)));
  EXPECT_TRUE(absl::StrContains(no_request.message(), "needs --request-file")) << no_request;
  config.workload = workload::Kind::kStreamIn;
  config.rate = 100;
  const absl::Status paced = driver::Validate(config);
  EXPECT_TRUE(absl::StrContains(paced.message(), "stream-in sends nothing")) << paced;
}

}  // namespace
}  // namespace salvo
