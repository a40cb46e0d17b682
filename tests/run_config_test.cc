#include "driver/run_config.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "proto/json.h"

namespace salvo::controller {
namespace {

driver::RunConfig Unusual() {
  // Every field away from its default, so that a field the inverse forgets shows.
  driver::RunConfig c;
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
  c.close = workload::CloseMode::kRst;
  c.workload = workload::Kind::kConnectRr;
  c.source_ips = "127.0.0.2-127.0.0.9";
  c.agent_source_ips = {{"127.0.0.1:7102", "127.0.0.20/30"}};
  c.stages = {{absl::Seconds(2), 1000}, {absl::Milliseconds(1500), 0}};
  c.connect_rate = 250;
  return c;
}

TEST(Scenario, TheSpecOfAConfigAppliedToADefaultConfigGivesTheSameSpec) {
  const v1::Scenario spec = driver::ScenarioOf(Unusual());
  driver::RunConfig replayed;
  ASSERT_TRUE(driver::ApplyScenarioToConfig(spec, &replayed).ok());
  EXPECT_EQ(driver::ScenarioOf(replayed).SerializeAsString(), spec.SerializeAsString())
      << v1::ToJson(driver::ScenarioOf(replayed)) << "\nwanted\n"
      << v1::ToJson(spec);
}

// Every field of the message set away from its default, found by reflection: a field added to
// the proto shows here without anyone listing it.
void SetEveryField(google::protobuf::Message* m) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m->GetReflection();
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const int n = f->is_repeated() ? 2 : 1;
    for (int k = 0; k < n; ++k) {
      // Distinct every time, so that two entries of a map do not share a key.
      static int serial = 0;
      const std::string text = absl::StrCat(f->name(), "-", ++serial);
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r->AddString(m, f, text) : r->SetString(m, f, text);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(m, f, 3 + i + k) : r->SetUInt32(m, f, 3 + i);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(m, f, 1000 + i + k) : r->SetUInt64(m, f, 1000 + i);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          f->is_repeated() ? r->AddDouble(m, f, 1.5 + i + k) : r->SetDouble(m, f, 1.5 + i);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          ASSERT_FALSE(f->is_repeated()) << f->full_name();
          r->SetBool(m, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          // The last value: not the default, and the one a newly added enum value would be.
          const int last = f->enum_type()->value(f->enum_type()->value_count() - 1)->number();
          ASSERT_FALSE(f->is_repeated()) << f->full_name();
          r->SetEnumValue(m, f, last);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          SetEveryField(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f));
          break;
        default:
          FAIL() << f->full_name() << ": a field type this test does not fill";
      }
    }
  }
}

// The other direction of the test above, from the proto's side: every field a scenario file can
// hold reaches RunConfig and comes back, so the one mapping between them misses none.
TEST(Scenario, EveryFieldOfAScenarioFileSurvivesTheTripThroughRunConfig) {
  v1::Scenario file;
  SetEveryField(&file);
  // What the spec derives rather than copies: close is connect-rr's, a message is a request.
  file.mutable_load()->set_workload(v1::WORKLOAD_CONNECT_RR);
  file.mutable_load()->set_message_size(file.load().request().size());
  driver::RunConfig config;
  ASSERT_TRUE(driver::ApplyScenarioToConfig(file, &config).ok());
  const v1::Scenario back = driver::ScenarioOf(config);
  google::protobuf::util::MessageDifferencer differ;
  std::string diff;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(file, back)) << diff;
}

TEST(Scenario, AFileWrittenAsJsonReadsBackAndBadFilesSayWhy) {
  const std::string path = ::testing::TempDir() + "/scenario.json";
  const v1::Scenario spec = driver::ScenarioOf(Unusual());
  std::ofstream(path) << v1::ToJson(spec);
  absl::StatusOr<v1::Scenario> read = driver::ReadScenario(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), spec.SerializeAsString());

  std::ofstream(path) << R"({"load": {"tarrget": "127.0.0.1:1"}})";
  read = driver::ReadScenario(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("tarrget"), std::string::npos) << read.status();

  std::ofstream(path) << R"({"load": {"workload": "WORKLOAD_SOMETHING_ELSE"}})";
  EXPECT_FALSE(driver::ReadScenario(path).ok());
  // Durations past the limits are refused, not wrapped.
  v1::Scenario huge;
  huge.mutable_load()->set_duration_ms(uint64_t{1} << 62);
  driver::RunConfig c;
  EXPECT_FALSE(driver::ApplyScenarioToConfig(huge, &c).ok());
  EXPECT_FALSE(driver::ReadScenario(path + ".missing").ok());
  std::remove(path.c_str());
}

TEST(Stages, ParseDurationsAndRatesWithDecimalSuffixes) {
  absl::StatusOr<std::vector<driver::RunConfig::Stage>> s =
      driver::ParseStages("10s:1k, 30s:50k,500ms:2.5m,1m:0");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ((*s)[0].duration, absl::Seconds(10));
  EXPECT_EQ((*s)[0].rate, 1000);
  EXPECT_EQ((*s)[1].rate, 50000);
  EXPECT_EQ((*s)[2].duration, absl::Milliseconds(500));
  EXPECT_EQ((*s)[2].rate, 2.5e6);
  EXPECT_EQ((*s)[3].duration, absl::Minutes(1));
  EXPECT_EQ((*s)[3].rate, 0);
  for (const char* bad : {"10s", "10s:", "x:1k", "10s:-5", "10s:2g", "10s:nan", ""}) {
    EXPECT_FALSE(driver::ParseStages(bad).ok()) << bad;
  }
}

TEST(Stages, ValidateRefusesARateBesideThemAndStagesThatSendNothing) {
  driver::RunConfig c;
  c.agents = {"127.0.0.1:7100"};
  c.target = "127.0.0.1:7000";
  c.stages = {{absl::Seconds(1), 0}};
  EXPECT_NE(driver::Validate(c).message().find("every rate is 0"), std::string::npos)
      << driver::Validate(c);
  c.stages = {{absl::Seconds(1), 10}};
  EXPECT_TRUE(driver::Validate(c).ok()) << driver::Validate(c);
  c.rate = 5;
  EXPECT_NE(driver::Validate(c).message().find("give one"), std::string::npos)
      << driver::Validate(c);
}

// Issue 22: --rate 0.0001 ran, measured nothing and failed with "every connection stalled".
TEST(Stages, AScheduleWithNothingDueInTheWindowIsRefusedBeforeTheRun) {
  driver::RunConfig c;
  c.agents = {"127.0.0.1:7100"};
  c.target = "127.0.0.1:7000";
  c.duration = absl::Seconds(3);
  c.warmup = absl::ZeroDuration();
  c.rate = 0.0001;
  EXPECT_EQ(driver::Validate(c).message(),
            "--rate 0.0001 msg/s schedules 0.0003 messages in the 3s measured: nothing would be "
            "measured; raise the rate or --duration");
  c.rate = 0.5;  // 1.5 messages: something to measure
  EXPECT_TRUE(driver::Validate(c).ok()) << driver::Validate(c);
  // A ramp over the warm-up that ends at 0 leaves the window empty too.
  c.rate = 0;
  c.warmup = absl::Seconds(2);
  c.stages = {{absl::Seconds(1), 100}, {absl::Seconds(1), 0}};
  EXPECT_NE(driver::Validate(c).message().find("--stages schedules 0 messages"), std::string::npos)
      << driver::Validate(c);
}

TEST(SourceIps, AListForAllAndListsForSingleAgentsGoToTheirAgents) {
  driver::RunConfig c = Unusual();
  c.pipeline = 1;  // connect-rr has none
  c.rate = 0;      // the stages set it
  c.agent_source_ips.clear();
  ASSERT_TRUE(driver::AddSourceIps("127.0.0.2-127.0.0.3", &c).ok());
  ASSERT_TRUE(driver::AddSourceIps("127.0.0.1:7102=127.0.0.8", &c).ok());
  EXPECT_FALSE(driver::AddSourceIps("127.0.0.1:7102=127.0.0.9", &c).ok());  // given twice
  EXPECT_TRUE(driver::Validate(c).ok()) << driver::Validate(c);
  EXPECT_EQ(driver::AgentSpec(c, "127.0.0.1:7101", 10).source_ips(), "");
  EXPECT_EQ(driver::AgentSpec(c, "127.0.0.1:7101", 10).load().source_ips(), "127.0.0.2-127.0.0.3");
  EXPECT_EQ(driver::AgentSpec(c, "127.0.0.1:7102", 30).source_ips(), "127.0.0.8");
  // Each agent's share of the stages' rates and of the connect rate follows its connections.
  const v1::RunSpec spec = driver::AgentSpec(c, "127.0.0.1:7102", 30);
  ASSERT_EQ(spec.stages_size(), 2);
  EXPECT_DOUBLE_EQ(spec.stages(0).rate(), 1000.0 * 30 / 40);
  EXPECT_DOUBLE_EQ(spec.connect_rate(), 250.0 * 30 / 40);
  c.agent_source_ips["127.0.0.1:9999"] = "127.0.0.5";
  EXPECT_NE(driver::Validate(c).message().find("not one of the --agents"), std::string::npos);
  c.agent_source_ips.erase("127.0.0.1:9999");
  c.source_ips = "127.0.0.2,::1";
  EXPECT_NE(driver::Validate(c).message().find("one family"), std::string::npos)
      << driver::Validate(c);
}

// A scenario's weights are checked as the flags' are (issue 22, item 5): a weight of 0, below 0
// or NaN made the connection split loop forever at 100% CPU; a weight list of another length was
// ignored; a count of connections past the limit reached the agents.
TEST(Scenario, WeightsAndConnectionsFromAScenarioAreCheckedAsTheFlagsAre) {
  driver::RunConfig c;
  c.agents = {"127.0.0.1:7100", "127.0.0.1:7101"};
  c.target = "127.0.0.1:7000";
  c.connections = 10;
  for (const std::vector<double>& weights :
       {std::vector<double>{0, 1}, {1, -1}, {std::nan(""), std::nan("")}, {1, 2e6}}) {
    c.agent_weights = weights;
    const absl::Status s = driver::Validate(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << weights[0] << "," << weights[1];
    EXPECT_NE(s.message().find("expected 0 < WEIGHT <= 1e+06"), std::string::npos) << s;
  }
  c.agent_weights = {1};
  EXPECT_NE(driver::Validate(c).message().find("1 agent weights for 2 agents"), std::string::npos)
      << driver::Validate(c);
  c.agent_weights = {1, 3};
  EXPECT_TRUE(driver::Validate(c).ok()) << driver::Validate(c);
  c.connections = 10'000'001;
  EXPECT_NE(driver::Validate(c).message().find("--connections must be at most 10000000"),
            std::string::npos)
      << driver::Validate(c);
}

}  // namespace
}  // namespace salvo::controller
