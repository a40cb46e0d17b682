// --metrics-listen: the exporter as a sink. Its linger (--metrics-linger) runs in OnReport, which
// MakeSinks puts last, so the files are written before it starts.
#include <memory>

#include "absl/time/clock.h"
#include "output/metrics_exporter.h"
#include "output/sinks.h"
#include "status/status_macros.h"

namespace salvo::output {
namespace {

class MetricsSink final : public driver::ReportSink {
 public:
  MetricsSink(std::unique_ptr<MetricsExporter> exporter, absl::Duration linger, std::ostream& human,
              const std::atomic<int>* interrupts)
      : exporter_(std::move(exporter)), linger_(linger), human_(human), interrupts_(interrupts) {}

  void OnStart(const v1::Scenario&, uint32_t) override {
    human_ << "serving /metrics on port " << exporter_->port() << std::endl;
  }
  void OnInterval(const v1::IntervalPoint& merged, const driver::IntervalParts& parts) override {
    exporter_->AddInterval(merged, parts);
  }
  absl::Status OnReport(const v1::RunReport& report) override {
    exporter_->Finish(report);
    if (linger_ <= absl::ZeroDuration()) return absl::OkStatus();
    human_ << "serving the final figures on /metrics for " << absl::FormatDuration(linger_)
           << " (Ctrl-C ends it)" << std::endl;
    const int seen = Interrupts();
    for (const absl::Time end = absl::Now() + linger_; absl::Now() < end && Interrupts() == seen;) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    return absl::OkStatus();
  }

 private:
  int Interrupts() const { return interrupts_ == nullptr ? 0 : interrupts_->load(); }

  std::unique_ptr<MetricsExporter> exporter_;
  absl::Duration linger_;
  std::ostream& human_;
  const std::atomic<int>* interrupts_;
};

}  // namespace

absl::StatusOr<driver::ReportSinkPtr> MakeMetricsSink(const driver::RunConfig& config,
                                                      const Terminal& terminal) {
  if (config.metrics_listen.empty()) return nullptr;
  SALVO_ASSIGN_OR_RETURN(std::unique_ptr<MetricsExporter> exporter,
                         MetricsExporter::Listen(config.metrics_listen));
  return std::make_unique<MetricsSink>(std::move(exporter), config.metrics_linger,
                                       terminal.human(config), terminal.interrupts);
}

}  // namespace salvo::output
