#include "workload/framing.h"

#include <string>

#include "gtest/gtest.h"

namespace salvo::workload {
namespace {

void Feed(ResponseFramer& f, const std::string& s) {
  f.Feed(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(ResponseFramer, ADelimiterSplitAcrossReceivesIsFound) {
  ResponseFramer f("\r\n");
  for (char c : std::string("+PONG\r\n+PONG\r\n+PO")) Feed(f, std::string(1, c));
  EXPECT_EQ(f.complete(), 2u);
  Feed(f, "NG\r");
  EXPECT_EQ(f.complete(), 2u);
  Feed(f, "\n");
  EXPECT_EQ(f.complete(), 3u);
}

TEST(ResponseFramer, FalseStartsInsideASelfOverlappingDelimiterAreNotMissed) {
  // "aab" after "aaab": a naive matcher that restarts from zero at the third 'a' misses it.
  ResponseFramer f("aab");
  Feed(f, "xaaab");
  EXPECT_EQ(f.complete(), 1u);
  ResponseFramer g("END\r\n");
  Feed(g, "VALUE k 0 1\r\nx\r\nEN");
  Feed(g, "END\r\nEND\r\n");
  EXPECT_EQ(g.complete(), 2u);
  // Matches do not overlap: "aa" in "aaaa" is two responses, not three.
  ResponseFramer h("aa");
  Feed(h, "aaaa");
  EXPECT_EQ(h.complete(), 2u);
}

}  // namespace
}  // namespace salvo::workload
