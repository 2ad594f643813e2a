// The inputs of `policy test` (policy/rules/test_input.hpp): findings written on
// the command line, addresses, and the facts of a message file.
#include <gtest/gtest.h>

#include "policy/rules/test_input.hpp"

namespace mxgate::policy::rules {
namespace {

using core::Stage;

TEST(PolicyTestInput, AFindingHasTheStageAndFilterOfWhatReportsIt) {
    struct Case {
        const char* spec;
        const char* name;
        core::Outcome outcome;
        Stage stage;
        const char* filter;
    };
    for (const Case& c : {
             Case{"spf=fail", "spf", core::Outcome::fail, Stage::mail_from, "spf"},
             Case{"spf=fail@rcpt", "spf", core::Outcome::fail, Stage::rcpt, "spf"},
             Case{"dnsbl.zen=fail;codes=127.0.0.2", "dnsbl.zen", core::Outcome::fail, Stage::connect, "dnsbl"},
             Case{"dnswl.dnswl=pass", "dnswl.dnswl", core::Outcome::pass, Stage::connect, "dnsbl"},
             Case{"dnsbl=fail", "dnsbl", core::Outcome::fail, Stage::rcpt, "dnsbl"},
             Case{"fcrdns=fail", "fcrdns", core::Outcome::fail, Stage::connect, "dnsbl"},
             Case{"greylist=softfail", "greylist", core::Outcome::softfail, Stage::rcpt, "greylist"},
             Case{"ratelimit.messages=fail", "ratelimit.messages", core::Outcome::fail, Stage::mail_from, "rate_limit"},
             Case{"dkim=pass;domain=example.org", "dkim", core::Outcome::pass, Stage::end_of_data, "dkim"},
             Case{"dmarc=fail;policy=reject", "dmarc", core::Outcome::fail, Stage::end_of_data, "dmarc"},
             Case{"custom.check=neutral@helo", "custom.check", core::Outcome::neutral, Stage::helo, "custom"},
         }) {
        const auto parsed = parse_finding(c.spec);
        ASSERT_TRUE(parsed.value) << c.spec << ": " << parsed.error;
        EXPECT_EQ(parsed.value->finding.name, c.name) << c.spec;
        EXPECT_EQ(parsed.value->finding.outcome, c.outcome) << c.spec;
        EXPECT_EQ(parsed.value->stage, c.stage) << c.spec;
        EXPECT_EQ(parsed.value->filter, c.filter) << c.spec;
    }
    const auto attrs = parse_finding("spf=pass;domain=a.example;mailfrom=x@a.example");
    ASSERT_TRUE(attrs.value) << attrs.error;
    EXPECT_EQ(attrs.value->stage, Stage::mail_from) << "an '@' in a value is no stage";
    EXPECT_EQ(attrs.value->finding.attr("mailfrom"), "x@a.example");
    EXPECT_EQ(attrs.value->finding.attr("domain"), "a.example");
}

TEST(PolicyTestInput, ABadFindingSaysWhichPartIsWrong) {
    struct Case {
        const char* spec;
        const char* error;
    };
    for (const Case& c : {
             Case{"spf", "expected NAME=OUTCOME, got 'spf'"},
             Case{"spf=fial", "unknown outcome 'fial' (one of pass, fail, softfail, neutral, none, temperror, "
                              "permerror, skipped, policy)"},
             Case{"SPF=fail", "finding name 'SPF': expected a-z 0-9 . _ - (like dnsbl.zen)"},
             Case{"spf=fail;domain", "attribute 'domain': expected attr=value"},
             Case{"spf=fail;", "attribute '': expected attr=value"},
             Case{"spf=fail@mailfrom",
                  "unknown stage 'mailfrom' after '@' (connect, helo, mail_from, rcpt, end_of_data)"},
             Case{"custom=pass", "no filter reports 'custom': give its stage, like 'custom=pass@rcpt'"},
         }) {
        const auto parsed = parse_finding(c.spec);
        EXPECT_FALSE(parsed.value) << c.spec;
        EXPECT_EQ(parsed.error, c.error) << c.spec;
    }
}

TEST(PolicyTestInput, Addresses) {
    auto a = parse_address("<alice@example.org>", false);
    ASSERT_TRUE(a.value);
    EXPECT_EQ(a.value->local, "alice");
    EXPECT_EQ(a.value->domain, "example.org");
    EXPECT_TRUE(parse_address("<>", true).value->empty());
    EXPECT_FALSE(parse_address("<>", false).value);
    EXPECT_TRUE(parse_address("Postmaster", false).value);
    EXPECT_FALSE(parse_address("alice", false).value);
    EXPECT_FALSE(parse_address("a b@example.org", false).value);
    EXPECT_FALSE(parse_address("alice@", false).value);
    EXPECT_FALSE(parse_client_ip("192.0.2.300").value);
    EXPECT_EQ(*parse_tls_version("TLSv1.3").value, "1.3");
    EXPECT_FALSE(parse_tls_version("1.4").value);
}

TEST(PolicyTestInput, AMessageFilesHeaderFieldsAndSizeWithCrlfOrLf) {
    const std::string lf = "Subject: You are a winner\nX-Long: a\n b\nFrom : x@example.org\n\nBody: not a field\n";
    const MessageFacts no_name = message_facts("Subject: a\n: no name\nTo: b@example.org\n\n");
    EXPECT_EQ(no_name.header_fields.size(), 1u) << "a line that is no field ends the header";
    EXPECT_EQ(message_facts("Two words: x\n").header_fields.size(), 0u);
    const std::string crlf = "Subject: You are a winner\r\nX-Long: a\r\n b\r\nFrom : x@example.org\r\n\r\n"
                             "Body: not a field\r\n";
    for (const std::string& text : {lf, crlf}) {
        const MessageFacts facts = message_facts(text);
        EXPECT_EQ(facts.size, crlf.size());
        ASSERT_EQ(facts.header_fields.size(), 3u);
        EXPECT_EQ(facts.header_fields[0].name, "Subject");
        EXPECT_EQ(facts.header_fields[0].value, "You are a winner");
        EXPECT_EQ(facts.header_fields[1].value, "a\r\n b");
        EXPECT_EQ(facts.header_fields[2].name, "From");
    }
}

}  // namespace
}  // namespace mxgate::policy::rules
