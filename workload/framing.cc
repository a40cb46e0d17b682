#include "workload/framing.h"

#include <utility>

namespace salvo::workload {

ResponseFramer::ResponseFramer(std::string delimiter)
    : delimiter_(std::move(delimiter)), fallback_(delimiter_.size(), 0) {
  for (size_t i = 1, k = 0; i < delimiter_.size(); ++i) {
    while (k > 0 && delimiter_[i] != delimiter_[k]) k = fallback_[k - 1];
    if (delimiter_[i] == delimiter_[k]) ++k;
    fallback_[i] = k;
  }
}

void ResponseFramer::Feed(const uint8_t* data, size_t len) {
  const size_t n = delimiter_.size();
  for (size_t i = 0; i < len; ++i) {
    const char c = static_cast<char>(data[i]);
    while (matched_ > 0 && c != delimiter_[matched_]) matched_ = fallback_[matched_ - 1];
    if (c == delimiter_[matched_]) ++matched_;
    if (matched_ == n) {
      ++complete_;
      matched_ = 0;  // the next response starts after this delimiter
    }
  }
}

}  // namespace salvo::workload
