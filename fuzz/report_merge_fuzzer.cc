// The controller's merge of what agents send, fed reports that are inconsistent or hostile:
// negative or NaN spans, counters that go backwards between intervals, histograms of another
// layout, huge connection counts. The merged report must stay finite, never claim `ok` for an
// agent that failed, and render as text and JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "driver/report.h"
#include "fuzz/fuzz_check.h"
#include "output/json_report.h"
#include "output/render.h"
#include "salvo/v1/agent.pb.h"
#include "salvo/v1/report.pb.h"

namespace {

template <typename Message>
bool ConsumeMessage(FuzzedDataProvider& in, Message* m) {
  const std::string bytes = in.ConsumeRandomLengthString(4096);
  return m->ParseFromString(bytes);
}

void CheckRates(const salvo::v1::Rates& r) {
  const google::protobuf::Reflection* reflection = r.GetReflection();
  const google::protobuf::Descriptor* d = r.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const double v = reflection->GetDouble(r, d->field(i));
    SALVO_FUZZ_CHECK(std::isfinite(v) && v >= 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salvo;
  FuzzedDataProvider in(data, size);
  v1::Scenario spec;
  ConsumeMessage(in, &spec);
  std::vector<driver::AgentOutcome> agents(in.ConsumeIntegralInRange<int>(1, 3));
  bool any_failed = false;
  for (size_t i = 0; i < agents.size(); ++i) {
    driver::AgentOutcome& a = agents[i];
    a.name = "agent" + std::to_string(i);
    a.connections = in.ConsumeIntegral<uint32_t>();
    a.weight = in.ConsumeFloatingPoint<double>();
    a.clock_offset_ms = in.ConsumeFloatingPoint<double>();
    a.clock_error_ms = in.ConsumeFloatingPoint<double>();
    a.clock_rtt_ms = in.ConsumeFloatingPoint<double>();
    if (in.ConsumeBool()) {
      v1::Ready ready;
      ConsumeMessage(in, &ready);
      a.ready = ready;
    }
    const int intervals = in.ConsumeIntegralInRange<int>(0, 4);
    for (int k = 0; k < intervals; ++k) {
      v1::Interval interval;
      ConsumeMessage(in, &interval);
      a.intervals.push_back(interval);
    }
    if (in.ConsumeBool()) {
      v1::AgentResult result;
      ConsumeMessage(in, &result);
      a.result = result;
    }
    if (in.ConsumeBool()) a.error = in.ConsumeRandomLengthString(64);
    a.lost = in.ConsumeBool();
    a.lost_at_interval = in.ConsumeIntegral<uint32_t>();
    any_failed = any_failed || a.lost || !a.error.empty() || !a.result.has_value() ||
                 !a.result->error().empty();
  }
  const v1::RunReport report = driver::BuildReport(spec, agents, {});
  if (any_failed) SALVO_FUZZ_CHECK(report.status() != v1::RUN_STATUS_OK);
  SALVO_FUZZ_CHECK(std::isfinite(report.totals().measured_s()) &&
                   report.totals().measured_s() >= 0);
  CheckRates(report.totals().rates());
  for (const v1::IntervalPoint& p : report.intervals()) CheckRates(p.rates());
  SALVO_FUZZ_CHECK(!output::RenderReport(report).empty());
  SALVO_FUZZ_CHECK(!output::ReportToJson(report).empty());
  return 0;
}
