#include "output/json_report.h"

#include <memory>
#include <optional>
#include <sstream>

#include "output/file_output.h"
#include "output/sinks.h"
#include "proto/json.h"
#include "status/status_macros.h"

namespace salvo::output {

void WriteReportJson(const v1::RunReport& report, std::ostream& out) {
  const auto& agents = report.agents();
  const auto& points = report.intervals();
  const v1::JsonArrayWriter write_agents = [&agents](int depth, std::ostream& o) {
    v1::WriteJsonArray(
        agents.size(),
        [&agents](size_t i) {
          const v1::AgentResult& a = agents[static_cast<int>(i)];
          const auto& series = a.intervals();
          std::ostringstream agent;
          v1::WriteJsonWithArrays(
              a,
              {{"intervals",
                [&series](int d, std::ostream& o2) { v1::WriteCompactJsonArray(series, d, o2); }}},
              0, agent);
          return agent.str();
        },
        depth, o);
  };
  const v1::JsonArrayWriter write_points = [&points](int depth, std::ostream& o) {
    v1::WriteCompactJsonArray(points, depth, o);
  };
  v1::WriteJsonWithArrays(report, {{"agents", write_agents}, {"intervals", write_points}}, 0, out);
  out << "\n";
}

std::string ReportToJson(const v1::RunReport& report) {
  std::ostringstream out;
  WriteReportJson(report, out);
  return out.str();
}

namespace {

// --json FILE, or --json - on standard output (the report a person reads then goes to standard
// error: Terminal::human).
class JsonSink final : public driver::ReportSink {
 public:
  JsonSink(std::optional<FileOutput> file, std::ostream& out, std::ostream& human)
      : file_(std::move(file)), out_(out), human_(human) {}

  absl::Status OnReport(const v1::RunReport& report) override {
    const auto write = [&report](std::ostream& o) { WriteReportJson(report, o); };
    if (file_.has_value()) return file_->Write(write, human_);
    write(out_);
    out_.flush();
    if (!out_) return absl::DataLossError("writing the JSON to standard output failed");
    return absl::OkStatus();
  }

 private:
  std::optional<FileOutput> file_;
  std::ostream& out_;
  std::ostream& human_;
};

}  // namespace

absl::StatusOr<driver::ReportSinkPtr> MakeJsonSink(const driver::RunConfig& config,
                                                   const Terminal& terminal) {
  if (config.json_path.empty()) return nullptr;
  std::optional<FileOutput> file;
  if (config.json_path != "-") {
    SALVO_ASSIGN_OR_RETURN(file, FileOutput::Open(config.json_path, "--json"));
  }
  return std::make_unique<JsonSink>(std::move(file), terminal.out, terminal.human(config));
}

}  // namespace salvo::output
