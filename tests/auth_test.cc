#include "auth/credentials.h"

#include <fstream>

#include "gtest/gtest.h"

namespace salvo::auth {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Auth, TheTokenIsTheFilesFirstLineTrimmed) {
  EXPECT_EQ(*ReadTokenFile(Write("token1", "  s3cret \nsecond line\n")), "s3cret");
  EXPECT_FALSE(ReadTokenFile(Write("token2", "\n\n")).ok());
  const absl::Status missing = ReadTokenFile("/nonexistent/token").status();
  EXPECT_NE(missing.message().find("--token-file: cannot read /nonexistent/token"),
            absl::string_view::npos);
}

TEST(Auth, OnlyTheExactBearerValueMatches) {
  EXPECT_TRUE(TokenMatches(BearerValue("abc"), "abc"));
  EXPECT_FALSE(TokenMatches("Bearer abd", "abc"));
  EXPECT_FALSE(TokenMatches("Bearer ab", "abc"));
  EXPECT_FALSE(TokenMatches("Bearer abcd", "abc"));
  EXPECT_FALSE(TokenMatches("abc", "abc"));
  EXPECT_FALSE(TokenMatches("", "abc"));
}

TEST(Auth, ACertificateNeedsItsKeyAndEmptyFilesAreNamed) {
  const std::string cert = Write("cert.pem", "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(ReadTlsFiles(cert, "", "").status().message(), "--tls-cert and --tls-key go together");
  const std::string empty = Write("empty.pem", "");
  EXPECT_NE(ReadTlsFiles(cert, empty, "").status().message().find("is empty"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace salvo::auth
