// Where responses end in a request/response stream (the rr workload with --response-until): at
// each occurrence of a delimiter such as "\r\n". Counts complete responses in the bytes fed to
// it, however they are split across receives. (Responses of a fixed length need no framer: the
// session divides the bytes received.)
//
//   ResponseFramer f("\r\n");
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
  // Each response ends with `delimiter` (not empty); matches do not overlap.
  explicit ResponseFramer(std::string delimiter);

  void Feed(const uint8_t* data, size_t len);
  uint64_t complete() const { return complete_; }
  // Forgets a partial match: the next bytes start a new stream (a new connection).
  void Restart() { matched_ = 0; }

 private:
  std::string delimiter_;
  // Knuth-Morris-Pratt: for each prefix of the delimiter, the longest proper prefix that is also
  // its suffix, so a partial match carries across receives and across false starts.
  std::vector<size_t> fallback_;
  size_t matched_ = 0;
  uint64_t complete_ = 0;
};

}  // namespace salvo::workload
