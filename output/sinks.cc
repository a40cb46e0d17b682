#include "output/sinks.h"

#include <memory>
#include <utility>

#include "output/file_output.h"

#include "status/status_macros.h"

namespace salvo::output {
namespace {

class FileSink final : public driver::ReportSink {
 public:
  FileSink(FileOutput file, std::ostream& human,
           std::function<void(const v1::RunReport&, std::ostream&)> write)
      : file_(std::move(file)), human_(human), write_(std::move(write)) {}
  absl::Status OnReport(const v1::RunReport& report) override {
    return file_.Write([this, &report](std::ostream& o) { write_(report, o); }, human_);
  }

 private:
  FileOutput file_;
  std::ostream& human_;
  std::function<void(const v1::RunReport&, std::ostream&)> write_;
};

}  // namespace

absl::StatusOr<driver::ReportSinkPtr> MakeFileSink(
    const std::string& path, absl::string_view flag, std::ostream& human,
    std::function<void(const v1::RunReport&, std::ostream&)> write) {
  if (path.empty()) return nullptr;
  SALVO_ASSIGN_OR_RETURN(FileOutput file, FileOutput::Open(path, flag));
  return std::make_unique<FileSink>(std::move(file), human, std::move(write));
}

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
