#include "units/units.h"

#include "gtest/gtest.h"

namespace salvo::units {
namespace {

TEST(ParseSize, AcceptsPlainAndBinarySuffixes) {
  EXPECT_EQ(*ParseSize("64"), 64u);
  EXPECT_EQ(*ParseSize("4k"), 4096u);
  EXPECT_EQ(*ParseSize("4K"), 4096u);
  EXPECT_EQ(*ParseSize("4kb"), 4096u);
  EXPECT_EQ(*ParseSize("128KiB"), 128u * 1024);
  EXPECT_EQ(*ParseSize("1m"), 1u << 20);
  EXPECT_EQ(*ParseSize("2g"), uint64_t{2} << 30);
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize(" 10 "), 10u);
}

TEST(ParseSize, RejectsMalformedInputWithTheInputInTheMessage) {
  for (const char* bad : {"", "k", "-1", "1.5k", "4x", "4kk", "1bb", "abc", "99999999999999999999",
                          "18446744073709551615k"}) {
    absl::StatusOr<uint64_t> s = ParseSize(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) EXPECT_NE(s.status().message().find("invalid size"), absl::string_view::npos);
  }
}

TEST(ParseDuration, AcceptsAbslSyntaxAndBareSeconds) {
  EXPECT_EQ(*ParseDuration("10"), absl::Seconds(10));
  EXPECT_EQ(*ParseDuration("1.5"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseDuration("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDuration("1m30s"), absl::Seconds(90));
}

TEST(ParseDuration, RejectsMalformedAndNegative) {
  for (const char* bad : {"", "ten", "-1", "-5s", "5 parsecs", "inf", "nan"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

TEST(Format, KeepsThreeSignificantDigits) {
  EXPECT_EQ(FormatBytes(64), "64B");
  EXPECT_EQ(FormatBytes(1536), "1.50KiB");
  EXPECT_EQ(FormatBytes(128 * 1024), "128KiB");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1234567), "1.23M");
  EXPECT_EQ(FormatCount(71200), "71.2k");
  EXPECT_EQ(FormatMicros(0.5), "500ns");
  EXPECT_EQ(FormatMicros(45.25), "45.2us");
  EXPECT_EQ(FormatMicros(1234.5), "1.23ms");
  EXPECT_EQ(FormatMicros(3e6), "3.00s");
}

}  // namespace
}  // namespace salvo::units
