// Where responses end in a request/response stream (the rr workload): after a fixed number of
// bytes each, or at each occurrence of a delimiter such as "\r\n". Counts complete responses in
// the bytes fed to it, however they are split across receives.
//
//   ResponseFramer f = ResponseFramer::Until("\r\n");
//   f.Feed(data, len);            // as bytes arrive
//   uint64_t done = f.complete(); // responses finished so far
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace salvo::workload {

class ResponseFramer {
 public:
  // Each response is exactly `bytes` long (> 0).
  static ResponseFramer Bytes(uint64_t bytes);
  // Each response ends with `delimiter` (not empty); matches do not overlap.
  static ResponseFramer Until(const std::string& delimiter);

  void Feed(const uint8_t* data, size_t len);
  uint64_t complete() const { return complete_; }

 private:
  ResponseFramer() = default;

  uint64_t bytes_ = 0;  // fixed-size responses; 0 when delimited
  uint64_t received_ = 0;
  std::string delimiter_;
  // Knuth-Morris-Pratt: for each prefix of the delimiter, the longest proper prefix that is also
  // its suffix, so a partial match carries across receives and across false starts.
  std::vector<size_t> fallback_;
  size_t matched_ = 0;
  uint64_t complete_ = 0;
};

}  // namespace salvo::workload
