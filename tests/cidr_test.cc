#include "net/cidr.h"

#include "gtest/gtest.h"

namespace salvo::net {
namespace {

SocketAddress At(const char* text) { return *ResolveHostPort(text); }

TEST(SplitHostPort, RefusesWhatIsNotAHostAndAPort) {
  std::string host;
  uint16_t port = 0;
  // "[[1]:0" and "[:]:22" were found by the fuzzers: brackets must hold an IPv6 address.
  for (const char* bad : {"[[1]:0", "[[]:0", "[:]:22", "[abc]:1", "a b:1", "h:+80", "h: 80",
                          "h:080000", "h\n:1", "x:", ":1", "a:b:1"}) {
    EXPECT_FALSE(SplitHostPort(bad, &host, &port).ok()) << bad;
  }
  ASSERT_TRUE(SplitHostPort("[fe80::1%eth0]:7100", &host, &port).ok());
  EXPECT_EQ(host, "fe80::1%eth0");
  EXPECT_EQ(port, 7100);
  ASSERT_TRUE(SplitHostPort("load-1.lab_a:22", &host, &port).ok());
  EXPECT_EQ(host, "load-1.lab_a");
}

TEST(Cidr, MatchesAddressesInsideItsRange) {
  const Cidr lo = *Cidr::Parse("127.0.0.0/8");
  EXPECT_TRUE(lo.Contains(At("127.0.0.1:1")));
  EXPECT_TRUE(lo.Contains(At("127.255.1.2:1")));
  EXPECT_FALSE(lo.Contains(At("128.0.0.1:1")));
  EXPECT_FALSE(lo.Contains(At("[::1]:1")));
  const Cidr odd = *Cidr::Parse("198.18.0.0/15");
  EXPECT_TRUE(odd.Contains(At("198.19.255.255:1")));
  EXPECT_FALSE(odd.Contains(At("198.20.0.0:1")));
  const Cidr host = *Cidr::Parse("10.1.2.3");
  EXPECT_TRUE(host.Contains(At("10.1.2.3:80")));
  EXPECT_FALSE(host.Contains(At("10.1.2.4:80")));
  const Cidr any = *Cidr::Parse("0.0.0.0/0");
  EXPECT_TRUE(any.Contains(At("8.8.8.8:53")));
}

TEST(Cidr, HandlesIpv6AndMappedIpv4) {
  const Cidr v6 = *Cidr::Parse("::1/128");
  EXPECT_TRUE(v6.Contains(At("[::1]:7000")));
  EXPECT_FALSE(v6.Contains(At("[::2]:7000")));
  const Cidr doc = *Cidr::Parse("2001:db8::/32");
  EXPECT_TRUE(doc.Contains(At("[2001:db8:ffff::1]:1")));
  EXPECT_FALSE(doc.Contains(At("[2001:db9::1]:1")));
  // ::ffff:127.0.0.1 is 127.0.0.1.
  EXPECT_TRUE(Cidr::Parse("127.0.0.0/8")->Contains(At("[::ffff:127.0.0.1]:1")));
}

TEST(Cidr, RejectsMalformedRanges) {
  for (const char* bad :
       {"", "localhost", "10.0.0.0/33", "10.0.0.0/-1", "::1/129", "1.2.3/8", "10.0.0.0/x"}) {
    EXPECT_FALSE(Cidr::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace salvo::net
