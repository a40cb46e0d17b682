// A scenario file as `salvo run --scenario` reads it (protobuf's JSON of v1::Scenario): any file
// the controller accepts is a run it can split and start, whatever its weights, connection
// counts or stages (issue 22: weights of 0, -1 or NaN spun the split forever).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "driver/run_config.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/util/json_util.h"
#include "plan/limits.h"
#include "plan/split.h"
#include "salvo/v1/report.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salvo;
  v1::Scenario scenario;
  const std::string json(reinterpret_cast<const char*>(data), size);
  if (!google::protobuf::util::JsonStringToMessage(json, &scenario).ok()) return 0;
  driver::RunConfig config;
  if (!driver::ApplyScenarioToConfig(scenario, &config).ok()) return 0;
  if (!driver::Validate(config).ok()) return 0;
  SALVO_FUZZ_CHECK(config.connections >= 1 && config.connections <= plan::kMaxConnections);
  for (double w : config.agent_weights) SALVO_FUZZ_CHECK(std::isfinite(w) && w > 0);
  // The split a run makes: every agent gets its share, and the shares add up.
  uint64_t total = 0;
  for (uint64_t share : plan::SplitByWeight(config.connections, driver::Weights(config))) {
    SALVO_FUZZ_CHECK(share >= 1);
    total += share;
  }
  SALVO_FUZZ_CHECK(total == config.connections);
  return 0;
}
