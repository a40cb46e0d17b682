// --latency-hgrm: the run's merged round-trip distribution in HdrHistogram's percentile format
// (metrics/hgrm.h), in milliseconds.
#include <memory>

#include "metrics/hgrm.h"
#include "output/file_output.h"
#include "output/sinks.h"
#include "status/status_macros.h"
#include "wire/figures.h"

namespace salvo::output {
namespace {

class HgrmSink final : public driver::ReportSink {
 public:
  HgrmSink(FileOutput file, std::ostream& human) : file_(std::move(file)), human_(human) {}

  absl::Status OnReport(const v1::RunReport& report) override {
    return file_.Write(
        [&report](std::ostream& o) {
          for (const v1::TimingHistogram& t : report.timings()) {
            if (t.timing() != v1::TIMING_ROUND_TRIP) continue;
            // The report's own merge, already checked; one that fails to load writes none.
            if (absl::StatusOr<metrics::Histogram> h = wire::HistogramFromProto(t.histogram());
                h.ok()) {
              metrics::WritePercentileDistribution(*h, /*unit_ns=*/1e6, o);
              return;
            }
          }
          metrics::WritePercentileDistribution(metrics::Histogram(), 1e6, o);
        },
        human_);
  }

 private:
  FileOutput file_;
  std::ostream& human_;
};

}  // namespace

absl::StatusOr<driver::ReportSinkPtr> MakeHgrmSink(const driver::RunConfig& config,
                                                   const Terminal& terminal) {
  if (config.latency_hgrm_path.empty()) return nullptr;
  SALVO_ASSIGN_OR_RETURN(FileOutput file,
                         FileOutput::Open(config.latency_hgrm_path, "--latency-hgrm"));
  return std::make_unique<HgrmSink>(std::move(file), terminal.human(config));
}

}  // namespace salvo::output
