// The run's outputs, made from what the user asked for: the terminal (live lines and the report
// a person reads), --json, --csv, --latency-hgrm, --html and --metrics-listen. Each is one
// driver::ReportSink in a file of its own; MakeSinks lists them, one line each, in the order
// they receive the report.
//
//   SALVO_ASSIGN_OR_RETURN(std::vector<driver::ReportSinkPtr> sinks,
//                          MakeSinks(config, Terminal{std::cout, std::cerr, "salvo run"}));
#pragma once

#include <atomic>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "driver/report_sink.h"
#include "driver/run_config.h"

namespace salvo::output {

// Where the sinks speak to the user.
struct Terminal {
  // Standard output and standard error.
  std::ostream& out;
  std::ostream& err;
  // Prefixes the lines that say a run never started ("salvo run").
  std::string command;
  // The user's interrupts (Ctrl-C) so far: ends --metrics-linger early. May be null.
  const std::atomic<int>* interrupts = nullptr;
  // What a person reads: standard output, or standard error when --json - takes standard output.
  std::ostream& human(const driver::RunConfig& config) const {
    return config.json_path == "-" ? err : out;
  }
};

// Every sink `config` asks for, files opened and the metrics endpoint listening; an unwritable
// file or a taken port is one line for the user (the run then never starts).
absl::StatusOr<std::vector<driver::ReportSinkPtr>> MakeSinks(const driver::RunConfig& config,
                                                             const Terminal& terminal);

// The sink of an output that is one file written from the finished report: opens `path` now (an
// unwritable one is the error, naming `flag`), writes it with `write` at the end and says
// "written: PATH" where a person reads. Null when `path` is empty (the output was not asked for).
absl::StatusOr<driver::ReportSinkPtr> MakeFileSink(
    const std::string& path, absl::string_view flag, std::ostream& human,
    std::function<void(const v1::RunReport&, std::ostream&)> write);

// Each sink's maker: the sink, or null when `config` does not ask for it.
absl::StatusOr<driver::ReportSinkPtr> MakeTextSink(const driver::RunConfig& config,
                                                   const Terminal& terminal);
absl::StatusOr<driver::ReportSinkPtr> MakeCsvSink(const driver::RunConfig& config,
                                                  const Terminal& terminal);
absl::StatusOr<driver::ReportSinkPtr> MakeHgrmSink(const driver::RunConfig& config,
                                                   const Terminal& terminal);
absl::StatusOr<driver::ReportSinkPtr> MakeHtmlSink(const driver::RunConfig& config,
                                                   const Terminal& terminal);
absl::StatusOr<driver::ReportSinkPtr> MakeJsonSink(const driver::RunConfig& config,
                                                   const Terminal& terminal);
absl::StatusOr<driver::ReportSinkPtr> MakeMetricsSink(const driver::RunConfig& config,
                                                      const Terminal& terminal);

}  // namespace salvo::output
