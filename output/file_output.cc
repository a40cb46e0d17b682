#include "output/file_output.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace salvo::output {

absl::StatusOr<FileOutput> FileOutput::Open(const std::string& path, absl::string_view flag) {
  auto file = std::make_unique<std::ofstream>(path, std::ios::trunc);
  if (!*file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", flag, " ", path, ": ", std::strerror(errno)));
  }
  return FileOutput(path, std::move(file));
}

absl::Status FileOutput::Write(const std::function<void(std::ostream&)>& write,
                               std::ostream& human) {
  write(*file_);
  file_->flush();
  if (!*file_) {
    return absl::DataLossError(absl::StrCat("writing ", path_, " failed: ", std::strerror(errno)));
  }
  human << "written: " << path_ << "\n";
  return absl::OkStatus();
}

absl::Status FileOutput::Write(const std::string& text, std::ostream& human) {
  return Write([&text](std::ostream& o) { o << text; }, human);
}

}  // namespace salvo::output
