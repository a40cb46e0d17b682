// --latency-hgrm: the run's merged round-trip distribution in HdrHistogram's percentile format
// (metrics/hgrm.h), in milliseconds.

#include "metrics/hgrm.h"
#include "output/sinks.h"
#include "wire/figures.h"

namespace salvo::output {
namespace {

// The report's own merged round trips, already checked; one that fails to load writes none.
void WriteRoundTrips(const v1::RunReport& report, std::ostream& o) {
  for (const v1::TimingHistogram& t : report.timings()) {
    if (t.timing() != v1::TIMING_ROUND_TRIP) continue;
    if (absl::StatusOr<metrics::Histogram> h = wire::HistogramFromProto(t.histogram()); h.ok()) {
      metrics::WritePercentileDistribution(*h, /*unit_ns=*/1e6, o);
      return;
    }
  }
  metrics::WritePercentileDistribution(metrics::Histogram(), 1e6, o);
}

}  // namespace

absl::StatusOr<driver::ReportSinkPtr> MakeHgrmSink(const driver::RunConfig& config,
                                                   const Terminal& terminal) {
  return MakeFileSink(config.latency_hgrm_path, "--latency-hgrm", terminal.human(config),
                      WriteRoundTrips);
}

}  // namespace salvo::output
