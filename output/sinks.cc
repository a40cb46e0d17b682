#include "output/sinks.h"

#include <utility>

#include "status/status_macros.h"

namespace salvo::output {

absl::StatusOr<std::vector<driver::ReportSinkPtr>> MakeSinks(const driver::RunConfig& config,
                                                             const Terminal& terminal) {
  using Maker =
      absl::StatusOr<driver::ReportSinkPtr> (*)(const driver::RunConfig&, const Terminal&);
  // The order the report reaches them: the terminal first, the files, then the endpoint (whose
  // --metrics-linger keeps serving after everything else is written).
  static constexpr Maker kMakers[] = {
      MakeTextSink, MakeCsvSink, MakeHgrmSink, MakeHtmlSink, MakeJsonSink, MakeMetricsSink,
  };
  std::vector<driver::ReportSinkPtr> sinks;
  for (Maker make : kMakers) {
    SALVO_ASSIGN_OR_RETURN(driver::ReportSinkPtr sink, make(config, terminal));
    if (sink != nullptr) sinks.push_back(std::move(sink));
  }
  return sinks;
}

}  // namespace salvo::output
