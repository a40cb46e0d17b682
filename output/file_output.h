// A file an output writes when the report is done. Opened before any load, so that an
// unwritable path fails before anything is measured; written in one go at the end.
//
//   SALVO_ASSIGN_OR_RETURN(FileOutput csv, FileOutput::Open(path, "--csv"));
//   ... the run ...
//   absl::Status s = csv.Write(ReportCsv(report), std::cout);   // "written: PATH"
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salvo::output {

class FileOutput {
 public:
  // Truncates `path`; the error names `flag` and the path ("cannot write --csv x.csv: ...").
  static absl::StatusOr<FileOutput> Open(const std::string& path, absl::string_view flag);

  const std::string& path() const { return path_; }

  // Writes, flushes and says "written: PATH" on `human`; the error says why the write failed.
  absl::Status Write(const std::function<void(std::ostream&)>& write, std::ostream& human);
  absl::Status Write(const std::string& text, std::ostream& human);

 private:
  FileOutput(std::string path, std::unique_ptr<std::ofstream> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  std::string path_;
  std::unique_ptr<std::ofstream> file_;
};

}  // namespace salvo::output
