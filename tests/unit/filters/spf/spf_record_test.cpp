// The SPF record parser (RFC 7208 §4.5, §4.6, §5, §6, §12): what it accepts and
// what makes a record a permerror before any term is evaluated.
#include "filters/spf/spf_record.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::spf {
namespace {

Record parsed(std::string_view text) {
    const ParsedRecord p = parse_record(text);
    EXPECT_TRUE(p.record) << text << ": " << p.error;
    return p.record.value_or(Record{});
}

void refused(std::string_view text) {
    const ParsedRecord p = parse_record(text);
    EXPECT_FALSE(p.record) << text << " was accepted";
    EXPECT_FALSE(p.error.empty()) << text;
}

TEST(SpfRecord, SelectsOnlyVersionOneRecords) {
    EXPECT_TRUE(is_spf_record("v=spf1"));
    EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
    EXPECT_FALSE(is_spf_record("v=spf10 -all"));
    EXPECT_FALSE(is_spf_record("v=spf1-all"));
    EXPECT_FALSE(is_spf_record(" v=spf1 -all"));
    EXPECT_FALSE(is_spf_record("spf2.0/pra -all"));
    EXPECT_FALSE(is_spf_record("google-site-verification=x"));
}

TEST(SpfRecord, EveryMechanismWithQualifiersAndCidrs) {
    const Record r = parsed("v=spf1 +all -include:_spf.example.org ~a ?a:mail.example.org/24 a//64 "
                            "mx:example.org/28//96 ptr ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                            "exists:%{ir}.%{l1r+-}._spf.%{d}");
    ASSERT_EQ(r.mechanisms.size(), 11u);
    EXPECT_TRUE(r.has_all);
    EXPECT_EQ(r.mechanisms[0].kind, MechanismKind::all);
    EXPECT_EQ(r.mechanisms[0].qualifier, Qualifier::pass);
    EXPECT_EQ(r.mechanisms[1].qualifier, Qualifier::fail);
    EXPECT_EQ(r.mechanisms[1].domain_spec, "_spf.example.org");
    EXPECT_EQ(r.mechanisms[2].qualifier, Qualifier::softfail);
    EXPECT_EQ(r.mechanisms[2].domain_spec, "");
    EXPECT_EQ(r.mechanisms[3].qualifier, Qualifier::neutral);
    EXPECT_EQ(r.mechanisms[3].domain_spec, "mail.example.org");
    EXPECT_EQ(r.mechanisms[3].cidr4, 24);
    EXPECT_EQ(r.mechanisms[3].cidr6, 128);
    EXPECT_EQ(r.mechanisms[4].cidr4, 32);
    EXPECT_EQ(r.mechanisms[4].cidr6, 64);
    EXPECT_EQ(r.mechanisms[5].cidr4, 28);
    EXPECT_EQ(r.mechanisms[5].cidr6, 96);
    EXPECT_EQ(r.mechanisms[6].kind, MechanismKind::ptr);
    EXPECT_EQ(r.mechanisms[8].network.to_string(), "192.0.2.0");
    EXPECT_EQ(r.mechanisms[8].cidr4, 24);
    EXPECT_EQ(r.mechanisms[9].network.to_string(), "2001:db8::");
    EXPECT_EQ(r.mechanisms[9].cidr6, 32);
    EXPECT_EQ(r.mechanisms[10].domain_spec, "%{ir}.%{l1r+-}._spf.%{d}");
    EXPECT_TRUE(r.mechanisms[10].queries_dns());
    EXPECT_FALSE(r.mechanisms[8].queries_dns());
}

TEST(SpfRecord, ModifiersOnceEachUnknownOnesIgnored) {
    const Record r = parsed("v=spf1 redirect=_spf.example.org exp=explain.%{d} moo.cow-far_out=man:dog/cat");
    EXPECT_EQ(r.redirect, "_spf.example.org");
    EXPECT_EQ(r.exp, "explain.%{d}");
    EXPECT_TRUE(r.mechanisms.empty());
    refused("v=spf1 redirect=a.example.org redirect=b.example.org");
    refused("v=spf1 exp=a.example.org exp=b.example.org");
    refused("v=spf1 redirect=");
    refused("v=spf1 redirect:example.org");  // a colon makes it an unknown mechanism
    refused("v=spf1 foo=%{x}");              // an unknown modifier still needs valid macros
}

TEST(SpfRecord, SyntaxErrorsAnywhereArePermerrors) {
    refused("v=spf1 -all foobar");         // unknown mechanism, even after "all"
    refused("v=spf1 all:x");
    refused("v=spf1 include");
    refused("v=spf1 include:");
    refused("v=spf1 exists:example.org/24");
    refused("v=spf1 ip4:192.0.2.0/33");
    refused("v=spf1 ip4:192.0.2.0/032");   // no leading zero
    refused("v=spf1 ip4:192.0.2.0/-2");    // found by spf_record_fuzz: from_chars took the sign
    refused("v=spf1 ip6:2001:db8::/-2");
    refused("v=spf1 a/-0");
    refused("v=spf1 ip4:192.0.2");
    refused("v=spf1 ip4:192.0.2.01");
    refused("v=spf1 ip6:2001:db8::/129");
    refused("v=spf1 ip6:fe80::1%eth0");
    refused("v=spf1 a:example.org/24//129");
    refused("v=spf1 a:");
    refused("v=spf1 a:museum");            // domain-end needs "." toplabel
    refused("v=spf1 a:example.123");       // an all-numeric top label
    refused("v=spf1 a:example.-org");
    refused("v=spf1 ptr/24");
    refused("v=spf1 a:%{q}.example.org");   // not a macro letter
    refused("v=spf1 a:%{d0}.example.org");  // a zero transformer
    refused("v=spf1 a:%{c}.example.org");   // c, r, t only in explanations
    refused("v=spf1 a:%example.org");
    refused("v=spf1 a:%{d.example.org");
    refused("v=spf1 -all \x01");
    refused("v=spf1 -all \xc3\xa9");
    refused("v=spf1\t-all");               // terms are separated by spaces only
}

TEST(SpfRecord, CidrZeroAndTrailingDotsAreValid) {
    EXPECT_EQ(parsed("v=spf1 ip4:0.0.0.0/0").mechanisms.at(0).cidr4, 0);
    EXPECT_EQ(parsed("v=spf1 a/0//0").mechanisms.at(0).cidr6, 0);
    EXPECT_EQ(parsed("v=spf1 a:example.org.").mechanisms.at(0).domain_spec, "example.org.");
    EXPECT_EQ(parsed("v=spf1 a:foo-bar.1-2").mechanisms.at(0).domain_spec, "foo-bar.1-2");
    EXPECT_EQ(parsed("v=spf1 exists:%{i}%%").mechanisms.at(0).domain_spec, "%{i}%%");
    EXPECT_TRUE(parsed("v=spf1   -all   ").has_all);
    EXPECT_TRUE(valid_domain_spec("%{d}"));
    EXPECT_FALSE(valid_domain_spec("example.org}"));
}

}  // namespace
}  // namespace mxgate::filters::spf
