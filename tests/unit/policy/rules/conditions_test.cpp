// Every condition kind, matching and not, through compile + evaluate: the rule
// "r" rejects when its `when` holds, at the stage the compiler derived.
#include <gtest/gtest.h>

#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using boost::asio::ip::make_address;
using core::Finding;
using core::Outcome;
using core::Stage;

bool rejects(const std::string& when, const Facts& facts) {
    const auto policy = compiled(rejecting(when));
    if (!policy) return false;
    return evaluate(*policy, policy->rules.front().stage, facts).terminal == Terminal::reject;
}

Facts client(const std::string& ip) {
    Facts f;
    f.client_ip = make_address(ip);
    return f;
}

TEST(PolicyConditions, ClientIpCidrListAndV4Mapped) {
    EXPECT_TRUE(rejects("{client_ip: 192.0.2.0/24}", client("192.0.2.77")));
    EXPECT_FALSE(rejects("{client_ip: 192.0.2.0/24}", client("192.0.3.1")));
    EXPECT_TRUE(rejects("{client_ip: [10.0.0.0/8, 2001:db8::/32]}", client("2001:db8::5")));
    EXPECT_FALSE(rejects("{client_ip: [10.0.0.0/8, 2001:db8::/32]}", client("2001:db9::5")));
    EXPECT_TRUE(rejects("{client_ip: 192.0.2.1}", client("::ffff:192.0.2.1")));
    EXPECT_TRUE(rejects("{client_ip: 0.0.0.0/0}", client("255.255.255.255")));
    EXPECT_FALSE(rejects("{client_ip: 0.0.0.0/0}", Facts{}));  // unknown client
}

TEST(PolicyConditions, ClientIpInlineList) {
    const std::string yaml =
        "lists:\n  nets: {values: [198.51.100.0/24, 203.0.113.9]}\n" + rejecting("{client_ip: {list: nets}}");
    const auto policy = compiled(yaml);
    ASSERT_TRUE(policy);
    EXPECT_EQ(evaluate(*policy, Stage::connect, client("203.0.113.9")).terminal, Terminal::reject);
    EXPECT_EQ(evaluate(*policy, Stage::connect, client("203.0.113.10")).terminal, Terminal::none);
}

TEST(PolicyConditions, RdnsAndHeloNamesSuffixesGlobsRegexes) {
    Facts f;
    f.rdns = "Mail.Example.ORG";
    f.helo = "dynamic-1-2-3-4.isp.example";
    EXPECT_TRUE(rejects("{rdns: mail.example.org}", f));
    EXPECT_TRUE(rejects("{rdns: .example.org}", f));
    EXPECT_FALSE(rejects("{rdns: example.org}", f));
    EXPECT_TRUE(rejects("{helo: \"dynamic-*.isp.example\"}", f));
    EXPECT_TRUE(rejects("{helo: {regex: '^dynamic(-[0-9]+){4}\\.'}}", f));
    EXPECT_FALSE(rejects("{helo: {regex: '^static'}}", f));
    EXPECT_FALSE(rejects("{rdns: .example.org}", Facts{}));  // no rDNS name
}

TEST(PolicyConditions, BooleansFcrdnsTlsTrusted) {
    Facts f;
    f.fcrdns = true;
    f.trusted = false;
    f.tls = true;
    f.tls_version = "1.2";
    EXPECT_TRUE(rejects("{fcrdns: true}", f));
    EXPECT_FALSE(rejects("{fcrdns: false}", f));
    EXPECT_TRUE(rejects("{trusted: false}", f));
    EXPECT_TRUE(rejects("{tls: true}", f));
    EXPECT_TRUE(rejects("{tls_version: {less_than: '1.3'}}", f));
    EXPECT_FALSE(rejects("{tls_version: {at_least: '1.3'}}", f));
    f.tls = false;
    f.tls_version.clear();
    EXPECT_FALSE(rejects("{tls_version: {less_than: '1.3'}}", f));  // no TLS: no version to compare
}

TEST(PolicyConditions, SenderExactDomainGlobRegexAndNullSender) {
    Facts f;
    f.sender = address("Alice@Example.ORG");
    EXPECT_TRUE(rejects("{sender: alice@example.org}", f));
    EXPECT_TRUE(rejects("{sender: example.org}", f));
    EXPECT_FALSE(rejects("{sender: .example.org}", f));  // subdomains only
    EXPECT_TRUE(rejects("{sender: {domain: [other.example, example.org]}}", f));
    EXPECT_TRUE(rejects("{sender: \"*@example.*\"}", f));
    EXPECT_TRUE(rejects("{sender: {regex: '^alice@'}}", f));
    EXPECT_FALSE(rejects("{sender: {address: bob@example.org}}", f));
    f.sender = core::Address{};
    EXPECT_TRUE(rejects("{sender: {address: '<>'}}", f));
    EXPECT_FALSE(rejects("{sender: example.org}", Facts{}));  // before MAIL FROM
}

TEST(PolicyConditions, RecipientIsTheCurrentOneAtRcptAndAnyLater) {
    const auto policy = compiled(rejecting("{recipient: {domain: greylisted.example}}"));
    ASSERT_TRUE(policy);
    EXPECT_EQ(policy->rules.front().stage, Stage::rcpt);
    Facts f;
    const std::vector<core::Address> accepted{address("a@greylisted.example")};
    f.recipients = accepted;
    f.recipient = address("b@other.example");
    EXPECT_EQ(evaluate(*policy, Stage::rcpt, f).terminal, Terminal::none);
    f.recipient = address("c@GREYLISTED.example");
    EXPECT_EQ(evaluate(*policy, Stage::rcpt, f).terminal, Terminal::reject);
    f.recipient.reset();  // end of data: any recipient
    EXPECT_EQ(evaluate(*policy, Stage::rcpt, f).terminal, Terminal::reject);
}

TEST(PolicyConditions, RecipientCountSizeAndScoreBounds) {
    Facts f;
    const std::vector<core::Address> accepted{address("a@x.example"), address("b@x.example")};
    f.recipients = accepted;
    f.recipient = address("c@x.example");
    EXPECT_TRUE(rejects("{recipient_count: {at_least: 3}}", f));
    EXPECT_FALSE(rejects("{recipient_count: {at_least: 4}}", f));
    f.message_size = 10 * 1024 * 1024;
    EXPECT_TRUE(rejects("{size: {at_least: 10MiB}}", f));
    EXPECT_FALSE(rejects("{size: {less_than: 10MiB}}", f));
    f.score = 7;
    EXPECT_TRUE(rejects("{score: {at_least: 7}}", f));
    EXPECT_FALSE(rejects("{score: {at_least: 5, less_than: 7}}", f));
    f.score = -2;
    EXPECT_TRUE(rejects("{score: {less_than: -1}}", f));
}

TEST(PolicyConditions, HeaderPresenceAndRegex) {
    const std::vector<HeaderField> fields = {{"Subject", "Cheap pills"}, {"X-Mailer", "bulk 1.0"}};
    Facts f;
    f.header_fields = fields;
    EXPECT_TRUE(rejects("{header: {name: x-mailer}}", f));
    EXPECT_FALSE(rejects("{header: {name: X-Mailer, present: false}}", f));
    EXPECT_TRUE(rejects("{header: {name: List-Id, present: false}}", f));
    EXPECT_TRUE(rejects("{header: {name: Subject, regex: 'pills?$'}}", f));
    EXPECT_FALSE(rejects("{header: {name: Subject, regex: ['^re:', 'lottery']}}", f));
}

Facts with_findings(const std::vector<Finding>& findings) {
    Facts f;
    f.findings = findings;
    return f;
}

TEST(PolicyConditions, SpfDkimPerDomainAndDmarcResults) {
    const std::vector<Finding> findings = {
        {"spf", Outcome::softfail, {}, ""},
        {"dkim", Outcome::fail, {{"domain", "bulk.example"}}, ""},
        {"dkim", Outcome::pass, {{"domain", "Example.org"}}, ""},
        {"dmarc", Outcome::fail, {{"policy", "reject"}}, ""},
    };
    const Facts f = with_findings(findings);
    EXPECT_TRUE(rejects("{spf: [fail, softfail]}", f));
    EXPECT_FALSE(rejects("{spf: pass}", f));
    EXPECT_TRUE(rejects("{dkim: pass}", f));
    EXPECT_TRUE(rejects("{dkim: {result: pass, domain: example.org}}", f));
    EXPECT_FALSE(rejects("{dkim: {result: pass, domain: bulk.example}}", f));
    EXPECT_TRUE(rejects("{dkim: {result: fail, domain: .example}}", f));
    EXPECT_TRUE(rejects("{dkim: {result: fail, domain: '*.example'}}", f));
    EXPECT_TRUE(rejects("{dmarc: fail}", f));
    EXPECT_TRUE(rejects("{dmarc: {result: fail, policy: reject}}", f));
    EXPECT_FALSE(rejects("{dmarc: {result: fail, policy: quarantine}}", f));
    EXPECT_FALSE(rejects("{spf: pass}", Facts{}));  // no finding: no result matches
}

TEST(PolicyConditions, DnsblDnswlAndReturnCodes) {
    const std::vector<Finding> findings = {
        {"dnsbl.zen", Outcome::fail, {{"codes", "127.0.0.2,127.0.0.4"}}, ""},
        {"dnsbl.spamcop", Outcome::pass, {{"codes", ""}}, ""},
        {"dnswl.dnswl", Outcome::pass, {{"codes", "127.0.10.1"}}, ""},
    };
    const Facts f = with_findings(findings);
    EXPECT_TRUE(rejects("{dnsbl: zen}", f));
    EXPECT_FALSE(rejects("{dnsbl: spamcop}", f));
    EXPECT_TRUE(rejects("{dnsbl: [spamcop, zen]}", f));
    EXPECT_TRUE(rejects("{dnsbl: {list: zen, codes: 127.0.0.4}}", f));
    EXPECT_FALSE(rejects("{dnsbl: {list: zen, codes: [127.0.0.3, 127.0.0.10]}}", f));
    EXPECT_TRUE(rejects("{dnswl: dnswl}", f));
    EXPECT_FALSE(rejects("{dnswl: other}", f));
}

TEST(PolicyConditions, GreylistState) {
    const std::vector<Finding> findings = {{"greylist", Outcome::softfail, {{"retry_after", "300"}}, ""}};
    EXPECT_TRUE(rejects("{greylist: defer}", with_findings(findings)));
    EXPECT_FALSE(rejects("{greylist: [pass, skipped]}", with_findings(findings)));
}

TEST(PolicyConditions, RateLimitsAreOverOrUnderAtTheirOwnStage) {
    const std::vector<Finding> findings = {{"ratelimit.connections", Outcome::fail, {{"count", "31"}}, ""},
                                           {"ratelimit.messages", Outcome::pass, {{"count", "2"}}, ""}};
    EXPECT_TRUE(rejects("{connection_rate: over}", with_findings(findings)));
    EXPECT_FALSE(rejects("{message_rate: over}", with_findings(findings)));
    EXPECT_TRUE(rejects("{message_rate: [under, skipped]}", with_findings(findings)));
    const auto connections = compiled(rejecting("{connection_rate: over}"));
    const auto messages = compiled(rejecting("{message_rate: over}"));
    ASSERT_TRUE(connections && messages);
    EXPECT_EQ(connections->rules[0].stage, core::Stage::connect);
    EXPECT_TRUE(connections->rules[0].after_filters);
    EXPECT_EQ(messages->rules[0].stage, core::Stage::mail_from);
    EXPECT_FALSE(errors(rejecting("{message_rate: ovr}")).empty());
}

TEST(PolicyConditions, AllAnyNotCombine) {
    Facts f = client("192.0.2.1");
    f.sender = address("a@example.org");
    EXPECT_TRUE(rejects("{client_ip: 192.0.2.0/24, sender: example.org}", f));
    EXPECT_FALSE(rejects("{client_ip: 192.0.2.0/24, sender: other.example}", f));
    EXPECT_TRUE(rejects("{any: [{sender: other.example}, {client_ip: 192.0.2.1}]}", f));
    EXPECT_FALSE(rejects("{any: [{sender: other.example}, {client_ip: 10.0.0.0/8}]}", f));
    EXPECT_TRUE(rejects("{not: {sender: other.example}}", f));
    EXPECT_TRUE(rejects("{all: [{sender: example.org}, {not: {trusted: true}}]}", f));
}

}  // namespace
}  // namespace mxgate::policy::rules::test
