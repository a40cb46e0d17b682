#include "controller/run_config.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "proto/json.h"

namespace salvo::controller {
namespace {

RunConfig Unusual() {
  // Every field away from its default, so that a field the inverse forgets shows.
  RunConfig c;
  c.agents = {"127.0.0.1:7101", "127.0.0.1:7102"};
  c.agent_weights = {1, 3};
  c.on_agent_loss = plan::LossPolicy::kAbort;
  c.min_agents = 2;
  c.lease = absl::Seconds(7);
  c.target = "127.0.0.1:7000";
  c.workload = workload::Kind::kStreamOut;
  c.connections = 40;
  c.message_size = 4096;
  c.duration = absl::Seconds(3);
  c.warmup = absl::Milliseconds(500);
  c.interval = absl::Milliseconds(250);
  c.pipeline = 4;
  c.rate = 12345.5;
  c.arrival = workload::Arrival::kPoisson;
  c.coalesce = false;
  c.verify = true;
  c.threads = 3;
  c.engine = net::EngineKind::kEpoll;
  c.send_mode = net::SendMode::kZeroCopy;
  c.sndbuf = 1 << 20;
  c.rcvbuf = 1 << 19;
  c.connect_timeout = absl::Seconds(9);
  c.drain = absl::Milliseconds(1500);
  c.tcp_info_sample = 77;
  return c;
}

TEST(Scenario, TheSpecOfAConfigAppliedToADefaultConfigGivesTheSameSpec) {
  const v1::RunSpecSummary spec = SpecSummary(Unusual());
  RunConfig replayed;
  ASSERT_TRUE(ApplySpecSummary(spec, &replayed).ok());
  EXPECT_EQ(SpecSummary(replayed).SerializeAsString(), spec.SerializeAsString())
      << v1::ToJson(SpecSummary(replayed)) << "\nwanted\n"
      << v1::ToJson(spec);
}

TEST(Scenario, AFileWrittenAsJsonReadsBackAndBadFilesSayWhy) {
  const std::string path = ::testing::TempDir() + "/scenario.json";
  const v1::RunSpecSummary spec = SpecSummary(Unusual());
  std::ofstream(path) << v1::ToJson(spec);
  absl::StatusOr<v1::RunSpecSummary> read = ReadScenario(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), spec.SerializeAsString());

  std::ofstream(path) << R"({"load": {"tarrget": "127.0.0.1:1"}})";
  read = ReadScenario(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("tarrget"), std::string::npos) << read.status();

  std::ofstream(path) << R"({"load": {"workload": "WORKLOAD_SOMETHING_ELSE"}})";
  EXPECT_FALSE(ReadScenario(path).ok());
  // Durations past the limits are refused, not wrapped.
  v1::RunSpecSummary huge;
  huge.mutable_load()->set_duration_ms(uint64_t{1} << 62);
  RunConfig c;
  EXPECT_FALSE(ApplySpecSummary(huge, &c).ok());
  EXPECT_FALSE(ReadScenario(path + ".missing").ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace salvo::controller
