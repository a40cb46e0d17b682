#include "workload/framing.h"

namespace salvo::workload {

ResponseFramer ResponseFramer::Bytes(uint64_t bytes) {
  ResponseFramer f;
  f.bytes_ = bytes;
  return f;
}

ResponseFramer ResponseFramer::Until(const std::string& delimiter) {
  ResponseFramer f;
  f.delimiter_ = delimiter;
  f.fallback_.assign(delimiter.size(), 0);
  for (size_t i = 1, k = 0; i < delimiter.size(); ++i) {
    while (k > 0 && delimiter[i] != delimiter[k]) k = f.fallback_[k - 1];
    if (delimiter[i] == delimiter[k]) ++k;
    f.fallback_[i] = k;
  }
  return f;
}

void ResponseFramer::Feed(const uint8_t* data, size_t len) {
  if (bytes_ > 0) {
    received_ += len;
    complete_ = received_ / bytes_;
    return;
  }
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
