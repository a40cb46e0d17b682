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

std::vector<std::string> Hosts(absl::string_view list) {
  std::vector<std::string> out;
  const absl::StatusOr<std::vector<SocketAddress>> parsed = ParseAddressList(list, 4096);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return out;
  for (const SocketAddress& a : *parsed) out.push_back(a.HostText());
  return out;
}

TEST(AddressList, ExpandsAddressesRangesAndBlocks) {
  EXPECT_EQ(Hosts("127.0.0.2"), (std::vector<std::string>{"127.0.0.2"}));
  EXPECT_EQ(Hosts("127.0.0.254-127.0.1.1"),
            (std::vector<std::string>{"127.0.0.254", "127.0.0.255", "127.0.1.0", "127.0.1.1"}));
  // A block leaves out its network and broadcast addresses; a /31 and a /32 have none.
  EXPECT_EQ(Hosts("10.1.0.0/30"), (std::vector<std::string>{"10.1.0.1", "10.1.0.2"}));
  EXPECT_EQ(Hosts("10.1.0.7/31"), (std::vector<std::string>{"10.1.0.6", "10.1.0.7"}));
  EXPECT_EQ(Hosts("10.1.0.0/24").size(), 254u);
  EXPECT_EQ(Hosts("fd00::1-fd00::3, fd00::10/127"),
            (std::vector<std::string>{"fd00::1", "fd00::2", "fd00::3", "fd00::10", "fd00::11"}));
  EXPECT_EQ((*ParseAddressList("::1", 1))[0].family(), AF_INET6);
}

TEST(AddressList, RefusesWhatIsNotAListOfOneFamilyWithinTheLimit) {
  for (const char* bad : {"", "127.0.0.1,", "127.0.0.300", "127.0.0.5-127.0.0.1", "127.0.0.1-::1",
                          "127.0.0.1,::1", "10.0.0.0/33", "10.0.0.0/x", "127.0.0.1,127.0.0.1",
                          "127.0.0.0/30,127.0.0.2", "host.example"}) {
    EXPECT_FALSE(ParseAddressList(bad, 4096).ok()) << bad;
  }
  EXPECT_TRUE(ParseAddressList("10.0.0.0/20", 4096).ok());  // 4,094 addresses
  EXPECT_NE(ParseAddressList("10.0.0.0/19", 4096).status().message().find("more than 4096"),
            std::string::npos);
  EXPECT_FALSE(ParseAddressList("fd00::/64", 4096).ok());
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
