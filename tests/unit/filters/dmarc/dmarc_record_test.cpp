// parse_record() over RFC 7489 §6.3/§6.4 cases: the tags used, their defaults,
// the §6.6.3 step 6 rule for a missing or invalid p=, and the records refused.
#include "filters/dmarc/dmarc_record.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::dmarc {
namespace {

DmarcRecord parsed(std::string_view txt) {
    ParsedRecord r = parse_record(txt);
    EXPECT_TRUE(r.record.has_value()) << txt << ": " << r.error;
    return r.record.value_or(DmarcRecord{});
}

TEST(DmarcRecord, MinimalRecordHasTheDefaults) {
    const DmarcRecord r = parsed("v=DMARC1; p=reject");
    EXPECT_EQ(r.policy, Policy::reject);
    EXPECT_FALSE(r.subdomain_policy);
    EXPECT_EQ(r.dkim_alignment, Alignment::relaxed);
    EXPECT_EQ(r.spf_alignment, Alignment::relaxed);
    EXPECT_EQ(r.percent, 100);
    EXPECT_EQ(r.report_interval, 86400u);
    EXPECT_EQ(r.failure_options, "0");
    EXPECT_FALSE(r.policy_assumed);
}

TEST(DmarcRecord, EveryTag) {
    const DmarcRecord r = parsed(
        "v=DMARC1;p=Quarantine; sp = none ;adkim=s; aspf=S; pct=25; ri=3600; fo=1:d; rf=afrf;"
        " rua=mailto:agg@example.org,mailto:agg@example.net!10m; ruf=mailto:f@example.org;");
    EXPECT_EQ(r.policy, Policy::quarantine);
    EXPECT_EQ(r.subdomain_policy, Policy::none);
    EXPECT_EQ(r.dkim_alignment, Alignment::strict);
    EXPECT_EQ(r.spf_alignment, Alignment::strict);
    EXPECT_EQ(r.percent, 25);
    EXPECT_EQ(r.report_interval, 3600u);
    EXPECT_EQ(r.failure_options, "1:d");
    EXPECT_EQ(r.aggregate_uris, (std::vector<std::string>{"mailto:agg@example.org", "mailto:agg@example.net!10m"}));
    EXPECT_EQ(r.failure_uris, (std::vector<std::string>{"mailto:f@example.org"}));
}

TEST(DmarcRecord, UnknownTagsAndEmptyPartsAreIgnored) {
    EXPECT_EQ(parsed("v=DMARC1; p=none; np=reject; future_tag=1;;").policy, Policy::none);
    EXPECT_EQ(parsed("v=DMARC1;pct=50;p=reject").policy, Policy::reject);  // p= need not be second
}

TEST(DmarcRecord, InvalidOptionalValuesFallBackToTheirDefaults) {
    const DmarcRecord r = parsed("v=DMARC1; p=reject; adkim=x; aspf=; pct=101; ri=-1");
    EXPECT_EQ(parsed("v=DMARC1; p=reject; pct=-2").percent, 100);  // found by dmarc_record_fuzz
    EXPECT_EQ(parsed("v=DMARC1; p=reject; pct=+5").percent, 100);
    EXPECT_EQ(r.dkim_alignment, Alignment::relaxed);
    EXPECT_EQ(r.spf_alignment, Alignment::relaxed);
    EXPECT_EQ(r.percent, 100);
    EXPECT_EQ(r.report_interval, 86400u);
    EXPECT_EQ(parsed("v=DMARC1; p=reject; pct=0").percent, 0);
}

TEST(DmarcRecord, MissingOrInvalidPolicyWithRuaIsPolicyNone) {  // §6.6.3 step 6.1
    for (const char* txt : {"v=DMARC1; rua=mailto:d@example.org", "v=DMARC1; p=bogus; rua=mailto:d@example.org",
                            "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.org"}) {
        const DmarcRecord r = parsed(txt);
        EXPECT_EQ(r.policy, Policy::none) << txt;
        EXPECT_FALSE(r.subdomain_policy) << txt;
        EXPECT_TRUE(r.policy_assumed) << txt;
    }
}

TEST(DmarcRecord, UnusableRecordsAreErrors) {
    const char* cases[] = {
        "v=DMARC1",                                   // no p=, no rua (§6.6.3 step 6.2)
        "v=DMARC1; p=bogus",
        "v=DMARC1; p=reject; sp=bogus",
        "v=DMARC1; p=none; p=reject",                 // a repeated tag
        "v=DMARC1; p=reject; garbage",                // a tag without '='
        "v=DMARC1; p=reject; 1x=y",                   // tag names start with a letter
        "p=reject; v=DMARC1",                         // v= must come first
        "v=dmarc1; p=reject",                         // "DMARC1" is case-sensitive (§6.4 %x44...)
        "v=DMARC2; p=reject",
        " v=DMARC1; p=reject",
        "v=spf1 -all",
        "",
    };
    for (const char* txt : cases) EXPECT_FALSE(parse_record(txt).record) << txt;
    EXPECT_FALSE(parse_record("v=DMARC1; p=reject; sp=bogus; rua=not a uri").record);  // no valid rua: no rescue
}

TEST(DmarcRecord, IsDmarcRecord) {
    EXPECT_TRUE(is_dmarc_record("v=DMARC1; p=none"));
    EXPECT_TRUE(is_dmarc_record("v = DMARC1 ;p=none"));
    EXPECT_TRUE(is_dmarc_record("v=DMARC1"));
    EXPECT_FALSE(is_dmarc_record("v=DMARC10; p=none"));
    EXPECT_FALSE(is_dmarc_record("v=spf1 include:example.org"));
    EXPECT_FALSE(is_dmarc_record("google-site-verification=abc"));
}

}  // namespace
}  // namespace mxgate::filters::dmarc
