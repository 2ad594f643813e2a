// The one DNS-name check: lengths always, octets and the final dot as each caller asks.
#include "filters/dns/dns_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxgate::filters::dns {
namespace {

TEST(DnsName, LabelsOfOneTo63Octets) {
    EXPECT_EQ(dns_name("mail.example.org"), "mail.example.org");
    EXPECT_EQ(dns_name(std::string(63, 'a') + ".org"), std::string(63, 'a') + ".org");
    EXPECT_FALSE(dns_name(std::string(64, 'a') + ".org"));
    for (const char* bad : {"", ".", "a..b", ".example.org", "example.org..", "example.org."})
        EXPECT_FALSE(dns_name(bad)) << bad;
}

TEST(DnsName, TotalLengthWithoutTheFinalDot) {
    std::string name;  // 3 labels of 63, one of 61, 3 dots: 253 octets
    for (int i = 0; i < 3; ++i) name += std::string(63, 'a') + ".";
    name += std::string(61, 'b');
    ASSERT_EQ(name.size(), 253u);
    EXPECT_TRUE(is_dns_name(name));
    EXPECT_FALSE(is_dns_name(name + "b"));
    EXPECT_EQ(dns_name(name + ".", {.trailing_dot = true}), name);
    EXPECT_FALSE(is_dns_name(name, {.max_length = 246}));
    EXPECT_TRUE(is_dns_name(name + "bb", {.max_length = 255}));
}

TEST(DnsName, FinalDotOnlyWhenAllowed) {
    EXPECT_FALSE(dns_name("example.org."));
    EXPECT_EQ(dns_name("example.org.", {.trailing_dot = true}), "example.org");
    EXPECT_FALSE(dns_name(".", {.trailing_dot = true}));            // the root is no name to ask
    EXPECT_FALSE(dns_name("example.org..", {.trailing_dot = true}));
}

TEST(DnsName, OctetRules) {
    EXPECT_TRUE(is_dns_name("_dmarc.Example-1.ORG"));
    EXPECT_FALSE(is_dns_name("a b.example"));
    EXPECT_FALSE(is_dns_name("m\xc3\xa4il.example"));
    EXPECT_FALSE(is_dns_name("a/b.example"));

    constexpr NameRules any{.octets = LabelOctets::any};
    EXPECT_TRUE(is_dns_name("a b+c/%.example", any));
    EXPECT_TRUE(is_dns_name("-.example", any));
    EXPECT_FALSE(is_dns_name("a..example", any));

    constexpr NameRules hostname{.octets = LabelOctets::hostname};
    EXPECT_TRUE(is_dns_name("mx-1.3com.example", hostname));
    EXPECT_FALSE(is_dns_name("mail_1.example", hostname));
    EXPECT_FALSE(is_dns_name("-mail.example", hostname));
    EXPECT_FALSE(is_dns_name("mail-.example", hostname));
    EXPECT_TRUE(is_dns_name("-mail.example", {}));  // DKIM selectors and DNSBL names may
}

}  // namespace
}  // namespace mxgate::filters::dns
