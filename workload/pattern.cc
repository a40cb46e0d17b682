#include "workload/pattern.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace salvo::workload {
namespace {

constexpr std::array<uint8_t, Pattern::kPeriod> MakeTable() {
  std::array<uint8_t, Pattern::kPeriod> t{};
  uint32_t x = 0x9e3779b9u;
  for (size_t i = 0; i < t.size(); ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    t[i] = static_cast<uint8_t>(x >> 24);
  }
  return t;
}
constexpr std::array<uint8_t, Pattern::kPeriod> kTable = MakeTable();

// Reference bytes for comparing any received chunk with one memcmp.
const Pattern& Reference() {
  static const Pattern* reference = new Pattern(256 * 1024);
  return *reference;
}

}  // namespace

Pattern::Pattern(size_t span) : data_(span + kPeriod) {
  // One period, then copies that double what is filled: each copy starts at a multiple of the
  // period, so the sequence continues, and a 1 GiB message is ready in a fraction of a second.
  const size_t first = std::min(data_.size(), kPeriod);
  for (size_t i = 0; i < first; ++i) data_[i] = kTable[i];
  for (size_t filled = first; filled < data_.size();) {
    const size_t n = std::min(filled, data_.size() - filled);
    std::memcpy(data_.data() + filled, data_.data(), n);
    filled += n;
  }
}

uint8_t Pattern::ByteAt(uint64_t stream_offset) { return kTable[stream_offset % kPeriod]; }

uint64_t Pattern::CountMismatches(uint64_t stream_offset, const uint8_t* data, size_t len) {
  const Pattern& ref = Reference();
  uint64_t mismatches = 0;
  while (len > 0) {
    const size_t chunk = len < ref.span() ? len : ref.span();
    const uint8_t* expected = ref.At(stream_offset);
    if (std::memcmp(data, expected, chunk) != 0) {
      for (size_t i = 0; i < chunk; ++i) mismatches += data[i] != expected[i];
    }
    data += chunk;
    len -= chunk;
    stream_offset += chunk;
  }
  return mismatches;
}

}  // namespace salvo::workload
