// RDATA decoding on bytes: every record type we ask for, plus malformed input
// (truncated lengths, compression pointers, over-long names) that must yield nullopt.
#include "filters/dns/rdata.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxgate::filters::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::optional<std::string> parse(RecordType type, const Bytes& bytes) { return parse_rdata(type, bytes); }

Bytes name(std::initializer_list<std::string_view> labels) {
    Bytes wire;
    for (auto label : labels) {
        wire.push_back(static_cast<std::uint8_t>(label.size()));
        wire.insert(wire.end(), label.begin(), label.end());
    }
    wire.push_back(0);
    return wire;
}

TEST(DnsRdata, Addresses) {
    EXPECT_EQ(parse(RecordType::a, {192, 0, 2, 1}), "192.0.2.1");
    EXPECT_EQ(parse(RecordType::aaaa, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "2001:db8::1");
    EXPECT_EQ(parse(RecordType::aaaa, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}), "::ffff:192.0.2.1");
    EXPECT_EQ(parse(RecordType::a, {192, 0, 2}), std::nullopt);
    EXPECT_EQ(parse(RecordType::a, {192, 0, 2, 1, 0}), std::nullopt);
    EXPECT_EQ(parse(RecordType::aaaa, Bytes(15, 0)), std::nullopt);
    EXPECT_EQ(parse(RecordType::a, {}), std::nullopt);
}

TEST(DnsRdata, TxtConcatenatesCharacterStrings) {  // RFC 7208 §3.3
    EXPECT_EQ(parse(RecordType::txt, {3, 'a', 'b', 'c'}), "abc");
    EXPECT_EQ(parse(RecordType::txt, {7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l'}), "v=spf1 -all");
    EXPECT_EQ(parse(RecordType::txt, {0}), "");
    EXPECT_EQ(parse(RecordType::txt, {0, 2, 'h', 'i', 0}), "hi");
    Bytes big{255};
    big.insert(big.end(), 255, 'x');
    EXPECT_EQ(parse(RecordType::txt, big), std::string(255, 'x'));
}

TEST(DnsRdata, TxtMalformed) {
    EXPECT_EQ(parse(RecordType::txt, {}), std::nullopt);
    EXPECT_EQ(parse(RecordType::txt, {4, 'a', 'b', 'c'}), std::nullopt);
    EXPECT_EQ(parse(RecordType::txt, {1, 'a', 2, 'b'}), std::nullopt);
    EXPECT_EQ(parse(RecordType::txt, {255}), std::nullopt);
}

TEST(DnsRdata, Names) {
    EXPECT_EQ(parse(RecordType::ptr, name({"mail", "example", "org"})), "mail.example.org");
    EXPECT_EQ(parse(RecordType::ns, name({"ns1", "example", "org"})), "ns1.example.org");
    EXPECT_EQ(parse(RecordType::cname, name({"a"})), "a");
    EXPECT_EQ(parse(RecordType::ptr, {0}), ".");
    // Octets that would change the meaning of the text are escaped (RFC 1035 §5.1).
    EXPECT_EQ(parse(RecordType::ptr, name({"a.b", "c\\d", std::string_view("e f\x01", 4)})), "a\\.b.c\\\\d.e\\032f\\001");
}

TEST(DnsRdata, Mx) {
    Bytes mx{0, 10};
    auto exchange = name({"mx", "example", "org"});
    mx.insert(mx.end(), exchange.begin(), exchange.end());
    EXPECT_EQ(parse(RecordType::mx, mx), "10 mx.example.org");
    EXPECT_EQ(parse(RecordType::mx, {0, 0, 0}), "0 .");  // RFC 7505 null MX
    EXPECT_EQ(parse(RecordType::mx, {0xff, 0xff, 1, 'a', 0}), "65535 a");
    EXPECT_EQ(parse(RecordType::mx, {0, 10}), std::nullopt);
    EXPECT_EQ(parse(RecordType::mx, {0}), std::nullopt);
    EXPECT_EQ(parse(RecordType::mx, {0, 10, 2, 'm'}), std::nullopt);
}

TEST(DnsRdata, MalformedNames) {
    EXPECT_EQ(parse(RecordType::ptr, {}), std::nullopt);                      // empty
    EXPECT_EQ(parse(RecordType::ptr, {3, 'a', 'b'}), std::nullopt);           // label runs past the end
    EXPECT_EQ(parse(RecordType::ptr, {3, 'a', 'b', 'c'}), std::nullopt);      // no root label
    EXPECT_EQ(parse(RecordType::ptr, {1, 'a', 0, 0}), std::nullopt);          // trailing bytes
    EXPECT_EQ(parse(RecordType::ptr, {0xc0, 0x00}), std::nullopt);            // pointer to itself: a loop
    EXPECT_EQ(parse(RecordType::ptr, {1, 'a', 0xc0, 0x00}), std::nullopt);    // pointer back to the start
    EXPECT_EQ(parse(RecordType::ptr, {0x40, 0}), std::nullopt);               // extended label type
    EXPECT_EQ(parse(RecordType::ptr, {64}), std::nullopt);                    // label longer than 63
    // 4 labels of 63 octets: 4 * 64 + 1 = 257 > 255 octets.
    Bytes too_long;
    for (int i = 0; i < 4; ++i) {
        too_long.push_back(63);
        too_long.insert(too_long.end(), 63, 'x');
    }
    too_long.push_back(0);
    EXPECT_EQ(parse(RecordType::ptr, too_long), std::nullopt);
    // 3 * 64 + 62 + 1 = 255 octets: the longest legal name.
    Bytes longest;
    for (int i = 0; i < 3; ++i) {
        longest.push_back(63);
        longest.insert(longest.end(), 63, 'x');
    }
    longest.push_back(61);
    longest.insert(longest.end(), 61, 'y');
    longest.push_back(0);
    ASSERT_EQ(longest.size(), 255u);
    EXPECT_TRUE(parse(RecordType::ptr, longest).has_value());
    // One octet more, all of it in labels: the root octet makes it 256 (found by rdata_fuzz).
    Bytes one_over = longest;
    one_over[3 * 64] = 62;
    one_over.insert(one_over.begin() + 3 * 64 + 1, 'y');
    ASSERT_EQ(one_over.size(), 256u);
    EXPECT_EQ(parse(RecordType::ptr, one_over), std::nullopt);
}

TEST(DnsRdata, EveryTruncationOfValidRdataIsSafe) {
    Bytes mx{0, 10};
    auto exchange = name({"mx", "example", "org"});
    mx.insert(mx.end(), exchange.begin(), exchange.end());
    const std::vector<std::pair<RecordType, Bytes>> samples{
        {RecordType::mx, mx}, {RecordType::ptr, exchange}, {RecordType::txt, {2, 'h', 'i', 3, 'y', 'o', 'u'}}};
    for (const auto& [type, bytes] : samples) {
        EXPECT_TRUE(parse(type, bytes).has_value());
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
            auto result = parse(type, prefix);  // must not crash; may be a shorter valid TXT
            if (type != RecordType::txt) {
                EXPECT_EQ(result, std::nullopt) << "cut at " << cut;
            }
        }
    }
}

}  // namespace
}  // namespace mxgate::filters::dns
