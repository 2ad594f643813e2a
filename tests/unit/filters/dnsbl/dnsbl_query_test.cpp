// The pure half of the DNS list checks, as case tables in the manner of Postfix's
// postscreen_dnsbl_test: query names (RFC 5782 §2.1 octets, §2.4 nibbles, §3
// domains) and what an A answer means under codes, a bitmask or neither.
#include "filters/dnsbl/dnsbl_query.hpp"

#include <gtest/gtest.h>

namespace {

namespace bl = mxgate::filters::dnsbl;
namespace ip = boost::asio::ip;
using Strings = std::vector<std::string>;

TEST(DnsblQuery, ReversedAddress) {
    struct Case {
        const char* address;
        const char* reversed;
    };
    const Case cases[] = {
        {"127.0.0.2", "2.0.0.127"},
        {"192.0.2.99", "99.2.0.192"},
        {"10.0.0.1", "1.0.0.10"},
        {"::ffff:192.0.2.1", "1.2.0.192"},  // v4-mapped: asked as IPv4
        // RFC 5782 §2.4's own example.
        {"2001:db8:1:2:3:4:567:89ab", "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"},
        {"::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"},
        {"2001:DB8::FF", "f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"},
    };
    for (const auto& c : cases) EXPECT_EQ(bl::reversed_address(ip::make_address(c.address)), c.reversed) << c.address;
}

TEST(DnsblQuery, QueryNames) {
    EXPECT_EQ(bl::ip_query_name(ip::make_address("192.0.2.99"), "zen.example"), "99.2.0.192.zen.example");
    EXPECT_EQ(bl::reverse_lookup_name(ip::make_address("192.0.2.99")), "99.2.0.192.in-addr.arpa");
    EXPECT_EQ(bl::reverse_lookup_name(ip::make_address("::ffff:192.0.2.99")), "99.2.0.192.in-addr.arpa");
    EXPECT_EQ(bl::reverse_lookup_name(ip::make_address("2001:db8::1")),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    EXPECT_EQ(bl::domain_query_name("Spam.Example.ORG.", "dbl.example"), "spam.example.org.dbl.example");
    // 4 labels of 63 + dots = 255 > 253 with the zone: not asked.
    const std::string label(60, 'a');
    EXPECT_EQ(bl::domain_query_name(label + "." + label + "." + label + "." + label + ".org", "dbl.example"),
              std::nullopt);
    EXPECT_EQ(bl::domain_query_name("[192.0.2.1]", "dbl.example"), std::nullopt);
}

TEST(DnsblQuery, NormalizeDomain) {
    struct Case {
        std::string in;
        std::optional<std::string> out;
    };
    const Case cases[] = {
        {"Mail.Example.ORG", "mail.example.org"},
        {"mail.example.org.", "mail.example.org"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
        {"_spf.example.org", "_spf.example.org"},
        {"a-b.c-d.example", "a-b.c-d.example"},
        {"localhost", std::nullopt},  // a bare word is no domain a list can know
        {"[192.0.2.1]", std::nullopt},
        {"[IPv6:2001:db8::1]", std::nullopt},
        {"", std::nullopt},
        {".", std::nullopt},
        {"a..example", std::nullopt},
        {".example.org", std::nullopt},
        {"exa mple.org", std::nullopt},
        {"b\xc3\xbc" "cher.example", std::nullopt},  // UTF-8: only A-labels are asked
        {"evil.example\r\nX", std::nullopt},
        {std::string(63, 'a') + ".example", std::string(63, 'a') + ".example"},
        {std::string(64, 'a') + ".example", std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(bl::normalize_domain(c.in), c.out) << c.in;
}

TEST(DnsblQuery, SenderDomain) {
    struct Case {
        mxgate::core::Address sender;
        std::optional<std::string> domain;
    };
    const Case cases[] = {
        {{"alice", "Example.ORG"}, "example.org"},
        {{"\"a@b\"", "example.com"}, "example.com"},
        {{}, std::nullopt},  // <>
        {{"postmaster", ""}, std::nullopt},
        {{"a", "[192.0.2.1]"}, std::nullopt},
        {{"a", "localhost"}, std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(bl::sender_domain(c.sender), c.domain) << c.sender.str();
}

TEST(DnsblQuery, MatchAnswers) {
    using Kind = bl::MatchResult::Kind;
    struct Case {
        const char* what;
        Strings codes;
        std::uint32_t bitmask;
        Strings records;
        Kind kind;
        Strings matched;
        Strings ignored;
    };
    const Case cases[] = {
        {"any 127/8 answer", {}, 0, {"127.0.0.2"}, Kind::listed, {"127.0.0.2"}, {}},
        {"several codes, sorted", {}, 0, {"127.0.0.11", "127.0.0.4", "127.0.0.2"}, Kind::listed,
         {"127.0.0.2", "127.0.0.4", "127.0.0.11"}, {}},
        {"duplicates once", {}, 0, {"127.0.0.2", "127.0.0.2"}, Kind::listed, {"127.0.0.2"}, {}},
        {"expected code", {"127.0.0.2", "127.0.0.3"}, 0, {"127.0.0.3", "127.0.0.11"}, Kind::listed, {"127.0.0.3"}, {}},
        {"unexpected code", {"127.0.0.2"}, 0, {"127.0.0.10"}, Kind::not_listed, {}, {}},
        {"bitmask bit set", {}, 0x04, {"127.0.0.4"}, Kind::listed, {"127.0.0.4"}, {}},
        {"bitmask bit among others", {}, 0x04, {"127.0.0.6"}, Kind::listed, {"127.0.0.6"}, {}},
        {"bitmask bit clear", {}, 0x04, {"127.0.0.2"}, Kind::not_listed, {}, {}},
        {"bitmask two bits", {}, 0x0a, {"127.0.0.8", "127.0.0.4"}, Kind::listed, {"127.0.0.8"}, {}},
        {"outside 127/8 only: broken list", {}, 0, {"192.0.2.1"}, Kind::broken, {}, {"192.0.2.1"}},
        {"outside 127/8 ignored next to a hit", {}, 0, {"192.0.2.1", "127.0.0.2"}, Kind::listed, {"127.0.0.2"},
         {"192.0.2.1"}},
        {"outside 127/8 with codes", {"127.0.0.2"}, 0, {"10.0.0.2"}, Kind::broken, {}, {"10.0.0.2"}},
        {"unparsable record", {}, 0, {"not-an-address"}, Kind::broken, {}, {"not-an-address"}},
        {"error code: open resolver", {}, 0, {"127.255.255.254"}, Kind::refused, {}, {}},
        {"error code with codes", {"127.0.0.2"}, 0, {"127.255.255.252"}, Kind::refused, {}, {}},
        {"error code never hides a hit", {}, 0, {"127.255.255.255", "127.0.0.4"}, Kind::listed, {"127.0.0.4"}, {}},
        {"no records", {}, 0, {}, Kind::broken, {}, {}},
    };
    for (const auto& c : cases) {
        bl::DnsList list;
        list.codes = c.codes;
        list.bitmask = c.bitmask;
        const auto matcher = bl::Matcher::compile(list);
        ASSERT_TRUE(matcher) << c.what;
        const auto result = bl::match_answers(c.records, *matcher);
        EXPECT_EQ(result.kind, c.kind) << c.what;
        EXPECT_EQ(result.matched, c.matched) << c.what;
        EXPECT_EQ(result.ignored, c.ignored) << c.what;
    }
}

TEST(DnsblQuery, CompileRefusesBadCodes) {
    bl::DnsList list;
    list.codes = {"127.0.0.2", "127.0.0"};
    EXPECT_FALSE(bl::Matcher::compile(list));
}

TEST(DnsblQuery, Validate) {
    bl::DnsblConfig config;
    EXPECT_TRUE(bl::validate(config).empty());
    bl::DnsList good{"zen", "zen.example"};
    bl::DnsList bad{"Zen!", "not a zone", bl::ListType::ip, false, {"192.0.2.1", "x"}, 0x4};
    bad.timeout = std::chrono::milliseconds(0);
    bl::DnsList twice{"zen", "other.example"};
    bl::DnsList allow_same_name{"zen", "wl.example", bl::ListType::ip, true};
    config.lists = {good, bad, twice, allow_same_name};
    config.fcrdns.max_names = 0;
    const Strings expected{
        "filters.dnsbl.lists[1].name: 'Zen!': use a-z, 0-9, '_' and '-'",
        "filters.dnsbl.lists[1].zone: 'not a zone' is not a domain name",
        "filters.dnsbl.lists[1].codes: '192.0.2.1' is not an address in 127.0.0.0/8",
        "filters.dnsbl.lists[1].codes: 'x' is not an address in 127.0.0.0/8",
        "filters.dnsbl.lists[1]: codes and bitmask exclude each other",
        "filters.dnsbl.lists[1].timeout: must be positive",
        "filters.dnsbl.lists[2].name: 'zen' used twice",
        "filters.dnsbl.fcrdns.max_names: must be at least 1",
    };
    EXPECT_EQ(bl::validate(config), expected);
}

}  // namespace
