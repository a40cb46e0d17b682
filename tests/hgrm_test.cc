// HdrHistogram's percentile-distribution text, read back as its plotting tools read it: the
// header, rows of value, percentile, count at or below and 1/(1-percentile), the final 100% row,
// and the footer's mean, deviation, maximum and count.
#include "metrics/hgrm.h"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace salvo::metrics {
namespace {

struct Row {
  double value, percentile;
  uint64_t count;
};

std::vector<Row> Rows(const std::string& text, std::vector<std::string>* footer) {
  std::vector<Row> rows;
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines[0], "       Value     Percentile TotalCount 1/(1-Percentile)");
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i][0] == '#') {
      footer->push_back(lines[i]);
      continue;
    }
    std::vector<std::string> f = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    EXPECT_TRUE(f.size() == 4 || f.size() == 3) << lines[i];
    Row r{};
    EXPECT_TRUE(absl::SimpleAtod(f[0], &r.value));
    EXPECT_TRUE(absl::SimpleAtod(f[1], &r.percentile));
    EXPECT_TRUE(absl::SimpleAtoi(f[2], &r.count));
    if (f.size() == 4) {
      double inverse = 0;
      EXPECT_TRUE(absl::SimpleAtod(f[3], &inverse));
      EXPECT_NEAR(inverse, 1 / (1 - r.percentile), 0.01 + 1e-4 * inverse) << lines[i];
    }
    rows.push_back(r);
  }
  return rows;
}

TEST(Hgrm, UniformSamplesGiveTheirPercentilesInMillisecondsAndEndAtTheCount) {
  Histogram h;
  for (uint64_t us = 1; us <= 1000; ++us) h.Record(us * 1000);  // 1 us .. 1 ms
  std::ostringstream out;
  WritePercentileDistribution(h, 1e6, out);
  std::vector<std::string> footer;
  const std::vector<Row> rows = Rows(out.str(), &footer);
  ASSERT_GT(rows.size(), 20u);
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GE(rows[i].value, rows[i - 1].value);
    EXPECT_GT(rows[i].percentile, rows[i - 1].percentile);
    EXPECT_GE(rows[i].count, rows[i - 1].count);
  }
  EXPECT_EQ(rows.front().percentile, 0);
  EXPECT_EQ(rows.back().percentile, 1.0);
  EXPECT_EQ(rows.back().count, 1000u);
  EXPECT_NEAR(rows.back().value, 1.0, 1e-9);  // the maximum, 1 ms
  // HdrHistogram's steps: 0, 50, 75, 87.5 ... five per halving of the distance to 100%.
  ASSERT_GT(rows.size(), 11u);
  EXPECT_NEAR(rows[5].percentile, 0.5, 1e-9);
  EXPECT_NEAR(rows[5].value, 0.5, 0.5 * 0.01);
  EXPECT_NEAR(rows[10].percentile, 0.75, 1e-9);
  EXPECT_NEAR(static_cast<double>(rows[5].count), 500, 500 * 0.01);
  ASSERT_EQ(footer.size(), 3u);
  EXPECT_NE(footer[0].find("Mean    =        0.500"), std::string::npos) << footer[0];
  EXPECT_NE(footer[1].find("Total count    =         1000"), std::string::npos) << footer[1];
}

TEST(Hgrm, AnEmptyHistogramHasOnlyTheHeaderAndFooter) {
  std::ostringstream out;
  WritePercentileDistribution(Histogram(), 1e6, out);
  std::vector<std::string> footer;
  EXPECT_TRUE(Rows(out.str(), &footer).empty());
  EXPECT_EQ(footer.size(), 3u);
}

}  // namespace
}  // namespace salvo::metrics
