// The HELO argument's syntax: hostnames (RFC 1035 LDH labels), address literals
// (RFC 5321 §4.1.3) and what is neither.
#include "filters/helo/helo_syntax.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxgate::filters::helo {
namespace {

struct Case {
    std::string name;
    HeloName expected;
};

TEST(HeloSyntax, Classifies) {
    const std::string label63(63, 'a');
    const std::string label64(64, 'a');
    std::string long_name;  // 4 labels of 63 and "a.b": 259 octets
    for (int i = 0; i < 4; ++i) long_name += label63 + ".";
    const Case cases[] = {
        {"mail.example.org", HeloName::fqdn},
        {"MAIL.Example.ORG", HeloName::fqdn},
        {"mail.example.org.", HeloName::fqdn},           // a trailing dot is fine
        {"3com.example", HeloName::fqdn},                // a digit may lead (RFC 1123)
        {"mx-1.example.org", HeloName::fqdn},
        {label63 + ".example", HeloName::fqdn},
        {"localhost", HeloName::single_label},
        {"localhost.", HeloName::single_label},
        {"[192.0.2.1]", HeloName::address_literal},
        {"[IPv6:2001:db8::1]", HeloName::address_literal},
        {"[ipv6:::1]", HeloName::address_literal},
        {"", HeloName::invalid},
        {".", HeloName::invalid},
        {"a..b", HeloName::invalid},                     // empty label
        {".example.org", HeloName::invalid},
        {"-mail.example.org", HeloName::invalid},        // leading hyphen
        {"mail-.example.org", HeloName::invalid},        // trailing hyphen
        {"mail_1.example.org", HeloName::invalid},
        {"mail.example.org..", HeloName::invalid},
        {"x(mail.example.org[10.0.0.1])", HeloName::invalid},
        {"x(bad)", HeloName::invalid},
        {"m\xc3\xa4il.example", HeloName::invalid},      // UTF-8: not LDH
        {label64 + ".example", HeloName::invalid},       // label over 63
        {long_name + "a.b", HeloName::invalid},          // over 255
        {"192.0.2.1", HeloName::invalid},                // an address, not a name
        {"[300.1.1.1]", HeloName::invalid},
        {"[192.0.2]", HeloName::invalid},
        {"[2001:db8::1]", HeloName::invalid},            // IPv6 needs its tag
        {"[IPv6:192.0.2.1]", HeloName::invalid},
        {"[IPv6:fe80::1%eth0]", HeloName::invalid},
        {"[]", HeloName::invalid},
        {"[192.0.2.1", HeloName::invalid},
    };
    for (const Case& c : cases) EXPECT_EQ(classify(c.name), c.expected) << c.name;
}

TEST(HeloSyntax, LengthLimitCountsWithoutTheTrailingDot) {
    std::string name;  // 4 labels of 63 and 3 dots: 255 octets
    for (int i = 0; i < 3; ++i) name += std::string(63, 'a') + ".";
    name += std::string(63, 'b');
    ASSERT_EQ(name.size(), 255u);
    EXPECT_TRUE(is_hostname(name));
    EXPECT_TRUE(is_hostname(name + "."));
    EXPECT_FALSE(is_hostname(name + "c"));
}

}  // namespace
}  // namespace mxgate::filters::helo
