// MetricsExporter where cpp-httplib is not built (the Windows cross build): --metrics-listen is
// refused before the run with this reason, so nothing pretends to serve.
#include "output/metrics_exporter.h"

namespace httplib {
class Server {};
}  // namespace httplib

namespace salvo::output {

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Listen(const std::string&) {
  return absl::UnimplementedError(
      "--metrics-listen is not in this build: its HTTP server (cpp-httplib) is built for Linux "
      "only");
}

MetricsExporter::MetricsExporter() = default;
MetricsExporter::~MetricsExporter() = default;
void MetricsExporter::AddInterval(const v1::IntervalPoint&, const driver::IntervalParts&) {}
void MetricsExporter::Finish(const v1::RunReport&) {}
std::string MetricsExporter::Text() const { return ""; }

}  // namespace salvo::output
