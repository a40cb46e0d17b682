#include "workload/pattern.h"

#include <vector>

#include "gtest/gtest.h"

namespace salvo::workload {
namespace {

TEST(Pattern, AtMatchesByteAtFromAnyOffset) {
  Pattern p(4096);
  for (uint64_t offset : {0ull, 1ull, 250ull, 251ull, 4096ull, 123456789ull}) {
    const uint8_t* data = p.At(offset);
    for (size_t i = 0; i < 4096; ++i) ASSERT_EQ(data[i], Pattern::ByteAt(offset + i));
  }
}

TEST(Pattern, CountsEveryCorruptedByte) {
  Pattern p(1 << 20);
  std::vector<uint8_t> chunk(p.At(777), p.At(777) + (1 << 20));
  EXPECT_EQ(Pattern::CountMismatches(777, chunk.data(), chunk.size()), 0u);
  chunk[0] ^= 1;
  chunk[500000] ^= 0xff;
  chunk.back() += 1;
  EXPECT_EQ(Pattern::CountMismatches(777, chunk.data(), chunk.size()), 3u);
}

TEST(Pattern, DetectsADroppedOrRepeatedChunk) {
  Pattern p(8192);
  // The stream as it would arrive with 64 bytes lost: everything after is shifted.
  std::vector<uint8_t> shifted(p.At(64), p.At(64) + 4096);
  EXPECT_GT(Pattern::CountMismatches(0, shifted.data(), shifted.size()), 4000u);
  // A repeat of a whole period would line up again; a power-of-two repeat does not.
  std::vector<uint8_t> repeated(p.At(0), p.At(0) + 4096);
  EXPECT_GT(Pattern::CountMismatches(1024, repeated.data(), repeated.size()), 4000u);
}

}  // namespace
}  // namespace salvo::workload
