// The pure half of DKIM: key names from d= and s=, the outcome of each
// verification state (RFC 8301 for rsa-sha1 and short keys), and a resinfo that
// hostile d=, s= and b= values cannot break.
#include "filters/dkim/dkim_result.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::dkim {
namespace {

using core::Outcome;

SignatureFacts facts(Verification verification, std::string algorithm = "rsa-sha256", std::size_t bits = 2048) {
    SignatureFacts f;
    f.domain = "example.org";
    f.selector = "sel";
    f.algorithm = std::move(algorithm);
    f.rsa = f.algorithm.rfind("rsa-", 0) == 0;
    f.key_bits = bits;
    f.b = "AbCdEfGh";
    f.verification = verification;
    return f;
}

TEST(DkimKeyQueryName, OnlyDnsNamesAreAsked) {
    EXPECT_EQ(key_query_name("sel", "example.org"), "sel._domainkey.example.org");
    EXPECT_EQ(key_query_name("2024_a.b-c", "Mail.Example.ORG"), "2024_a.b-c._domainkey.Mail.Example.ORG");
    for (const auto& [selector, domain] : std::vector<std::pair<std::string, std::string>>{
             {"", "example.org"}, {"sel", ""}, {"a b", "example.org"}, {"sel", "example..org"},
             {"sel", ".example.org"}, {"sel", "example.org."}, {"s\r\nX: y", "example.org"}, {"sel", std::string("ex\0a", 4)},
             {std::string(64, 'a'), "example.org"}, {"sel", std::string(250, 'a')}, {"sel;", "example.org"}}) {
        EXPECT_EQ(key_query_name(selector, domain), std::nullopt) << selector << " / " << domain;
    }
    EXPECT_TRUE(key_query_name(std::string(63, 'a'), "example.org"));
}

TEST(DkimSignatureFinding, EachVerificationStateHasItsOutcome) {
    const DkimConfig config;
    const std::vector<std::pair<Verification, Outcome>> table = {
        {Verification::verified, Outcome::pass},
        {Verification::bad_signature, Outcome::fail},
        {Verification::body_changed, Outcome::fail},
        {Verification::invalid_signature, Outcome::neutral},
        {Verification::no_key, Outcome::permerror},
        {Verification::key_revoked, Outcome::permerror},
        {Verification::key_invalid, Outcome::permerror},
        {Verification::key_unavailable, Outcome::temperror},
    };
    for (const auto& [verification, outcome] : table) {
        const auto finding = signature_finding(facts(verification), config);
        EXPECT_EQ(finding.name, "dkim");
        EXPECT_EQ(finding.outcome, outcome) << finding.reason;
        EXPECT_EQ(finding.attr("action"), "");
        EXPECT_EQ(finding.attr("domain"), "example.org");
        EXPECT_EQ(finding.attr("selector"), "sel");
        EXPECT_EQ(finding.attr("algorithm"), "rsa-sha256");
        EXPECT_EQ(finding.attr("key_bits"), "2048");
        EXPECT_EQ(finding.attr("b"), "AbCdEfGh");
    }
    EXPECT_EQ(signature_finding(facts(Verification::verified), config).attr("auth_results"),
              "dkim=pass header.d=example.org header.s=sel header.b=AbCdEfGh");
    EXPECT_EQ(signature_finding(facts(Verification::body_changed), config).attr("auth_results"),
              "dkim=fail reason=\"body hash did not verify\" header.d=example.org header.s=sel header.b=AbCdEfGh");
}

TEST(DkimSignatureFinding, Rfc8301WeakSignaturesAreNeverPass) {
    DkimConfig config;
    auto finding = signature_finding(facts(Verification::verified, "rsa-sha1"), config);
    EXPECT_EQ(finding.outcome, Outcome::policy);
    EXPECT_NE(finding.reason.find("rsa-sha1"), std::string::npos);
    // A bad rsa-sha1 signature stays a failure: policy is for what would have passed.
    EXPECT_EQ(signature_finding(facts(Verification::bad_signature, "rsa-sha1"), config).outcome, Outcome::fail);

    finding = signature_finding(facts(Verification::verified, "rsa-sha256", 1023), config);
    EXPECT_EQ(finding.outcome, Outcome::policy);
    EXPECT_NE(finding.attr("auth_results").find("reason=\"1023-bit RSA key"), std::string::npos);
    EXPECT_EQ(signature_finding(facts(Verification::verified, "rsa-sha256", 1024), config).outcome, Outcome::pass);
    config.min_rsa_bits = 2048;
    EXPECT_EQ(signature_finding(facts(Verification::verified, "rsa-sha256", 1024), config).outcome, Outcome::policy);
    // Ed25519 keys are 256 bits by nature (RFC 8463): no RSA minimum applies.
    EXPECT_EQ(signature_finding(facts(Verification::verified, "ed25519-sha256", 256), config).outcome, Outcome::pass);
}

TEST(DkimSignatureFinding, HostileValuesCannotBreakTheResinfo) {
    auto f = facts(Verification::verified);
    f.domain = "evil.example; dkim=pass header.d=bank.example";
    f.selector = "s\r\nX-Injected: yes";
    f.b = "Ab\"(cd";
    const auto finding = signature_finding(f, DkimConfig{});
    const std::string_view resinfo = finding.attr("auth_results");
    EXPECT_EQ(resinfo.find('\r'), std::string::npos) << resinfo;
    EXPECT_EQ(resinfo.find('\n'), std::string::npos) << resinfo;
    EXPECT_NE(resinfo.find("header.d=\"evil.example; dkim=pass header.d=bank.example\""), std::string::npos) << resinfo;
    EXPECT_NE(resinfo.find("header.b=\"Ab\\\"(cd\""), std::string::npos) << resinfo;
    // Length-bounded: a b= of any size is cut.
    f.b = std::string(5000, 'A');
    EXPECT_EQ(signature_finding(f, DkimConfig{}).attr("b").size(), 64u);
}

TEST(DkimFindings, UnsignedAndNotEvaluated) {
    const auto none = unsigned_finding();
    EXPECT_EQ(none.outcome, Outcome::none);
    EXPECT_EQ(none.attr("auth_results"), "dkim=none");
    EXPECT_EQ(none.attr("action"), "");
    const auto rest = not_evaluated_finding(45, 5);
    EXPECT_EQ(rest.outcome, Outcome::skipped);
    EXPECT_EQ(rest.attr("not_evaluated"), "45");
    EXPECT_EQ(rest.attr("auth_results"), "");
}

}  // namespace
}  // namespace mxgate::filters::dkim
