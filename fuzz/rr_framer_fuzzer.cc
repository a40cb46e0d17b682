// The rr response framer against a plain reference: however a stream of responses is cut into
// receives, the framer counts the same non-overlapping delimiter matches as a search over the
// whole stream does.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "workload/framing.h"

namespace {

// Non-overlapping matches, leftmost first: what a response stream ending each response with
// `delimiter` holds.
uint64_t CountMatches(const std::string& stream, const std::string& delimiter) {
  uint64_t n = 0;
  for (size_t at = stream.find(delimiter); at != std::string::npos;
       at = stream.find(delimiter, at + delimiter.size())) {
    ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string delimiter = in.ConsumeRandomLengthString(16);
  if (delimiter.empty()) return 0;
  const std::string stream = in.ConsumeRandomLengthString(1 << 16);
  salvo::workload::ResponseFramer framer(delimiter);
  size_t fed = 0;
  while (fed < stream.size()) {
    const size_t len = in.remaining_bytes() > 0
                           ? in.ConsumeIntegralInRange<size_t>(1, stream.size() - fed)
                           : stream.size() - fed;
    framer.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + fed, len);
    fed += len;
  }
  SALVO_FUZZ_CHECK(framer.complete() == CountMatches(stream, delimiter));
  return 0;
}
