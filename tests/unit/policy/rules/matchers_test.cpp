// The compiled matchers on their own: CIDR ranges at the edges of the address
// space and after merging, parent-domain suffixes, globs as anchored patterns.
#include "policy/rules/matchers.hpp"

#include <gtest/gtest.h>

namespace mxgate::policy::rules {
namespace {

using boost::asio::ip::make_address;

CidrSet cidrs(std::initializer_list<const char*> networks) {
    CidrSet set;
    for (const char* text : networks) set.add(*settings::parse_network(text));
    set.finish();
    return set;
}

TEST(PolicyMatchers, CidrRangesAtTheEdgesAndAfterMerging) {
    const CidrSet all_v4 = cidrs({"0.0.0.0/0"});
    EXPECT_TRUE(all_v4.contains(make_address("0.0.0.0")));
    EXPECT_TRUE(all_v4.contains(make_address("255.255.255.255")));
    EXPECT_FALSE(all_v4.contains(make_address("::1")));

    // Overlapping, adjacent and nested ranges merge; the gaps between them stay out.
    const CidrSet merged = cidrs({"10.0.1.0/24", "10.0.0.0/24", "10.0.0.128/25", "10.0.3.0/24", "255.255.255.255"});
    EXPECT_EQ(merged.size(), 3u);
    EXPECT_TRUE(merged.contains(make_address("10.0.1.255")));
    EXPECT_FALSE(merged.contains(make_address("10.0.2.0")));
    EXPECT_TRUE(merged.contains(make_address("10.0.3.0")));
    EXPECT_FALSE(merged.contains(make_address("9.255.255.255")));
    EXPECT_TRUE(merged.contains(make_address("255.255.255.255")));

    const CidrSet v6 =
        cidrs({"2001:db8::/127", "2001:db8::2/128", "::/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"});
    EXPECT_EQ(v6.size(), 3u);
    EXPECT_TRUE(v6.contains(make_address("2001:db8::2")));
    EXPECT_FALSE(v6.contains(make_address("2001:db8::3")));
    EXPECT_TRUE(v6.contains(make_address("::")));
    EXPECT_TRUE(v6.contains(make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(v6.contains(make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff")));
    EXPECT_TRUE(cidrs({"192.0.2.0/24"}).contains(make_address("::ffff:192.0.2.9")));
    EXPECT_FALSE(cidrs({}).contains(make_address("192.0.2.9")));
}

TEST(PolicyMatchers, NamesExactAndBelowAParent) {
    NameSet names;
    names.add("Example.ORG");
    names.add(".partner.example.");
    EXPECT_TRUE(names.contains("example.org"));
    EXPECT_TRUE(names.contains("example.org."));
    EXPECT_FALSE(names.contains("mx.example.org"));
    EXPECT_TRUE(names.contains("a.b.partner.example"));
    EXPECT_FALSE(names.contains("partner.example"));
    EXPECT_FALSE(names.contains("notpartner.example"));
}

TEST(PolicyMatchers, GlobsAreAnchoredAndQuoteEverythingElse) {
    EXPECT_EQ(glob_to_regex("*.example.org"), "^.*\\.example\\.org$");
    TextMatcher matcher;
    matcher.add_pattern(glob_to_regex("mx?.example.org"));
    matcher.add_pattern("^bounce\\+");
    ASSERT_TRUE(matcher.finish());
    EXPECT_TRUE(matcher.matches("mx1.example.org", ""));
    EXPECT_FALSE(matcher.matches("mx10.example.org", ""));
    EXPECT_FALSE(matcher.matches("mx1.example.org.evil", ""));
    EXPECT_TRUE(matcher.matches("bounce+x@example.org", ""));
    EXPECT_EQ(regex_error("a(b"), "missing ): a(b");
    EXPECT_EQ(regex_error("a(b)"), "");
}

}  // namespace
}  // namespace mxgate::policy::rules
