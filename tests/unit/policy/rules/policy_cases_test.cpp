// The case files of `policy test --cases` (policy/rules/policy_cases.hpp): what
// a case holds, every mistake with its position, and the pass/fail message.
#include <gtest/gtest.h>

#include "policy/rules/policy_cases.hpp"

namespace mxgate::policy::rules {
namespace {

using core::Stage;

std::vector<std::string> errors_of(const std::string& yaml) {
    const CaseLoad load = parse_case(yaml, "case.yaml", "/nonexistent");
    EXPECT_EQ(load.policy_case.has_value(), load.diagnostics.empty());
    std::vector<std::string> out;
    for (const auto& d : load.diagnostics) out.push_back(d.str());
    return out;
}

TEST(PolicyCases, ACaseHoldsTheEnvelopeTheFindingsAndTheExpectation) {
    const CaseLoad load = parse_case(R"(
description: a listed client
client_ip: 192.0.2.1
rdns: mx.example.net
helo: mx.example.net
tls: "1.3"
trusted: false
sender: "<>"
rcpt: [a@example.org, b@example.org]
findings: ["dnsbl.zen=fail;codes=127.0.0.2", "spf=none@rcpt"]
expect: {verdict: reject, rule: blocked, reply: "554 5.7.1", stage: rcpt}
)",
                                     "case.yaml", ".");
    ASSERT_TRUE(load.policy_case) << (load.diagnostics.empty() ? "" : load.diagnostics[0].str());
    const Transaction& t = load.policy_case->transaction;
    EXPECT_EQ(t.client_ip->to_string(), "192.0.2.1");
    EXPECT_TRUE(t.tls);
    EXPECT_EQ(t.tls_version, "1.3");
    EXPECT_TRUE(t.sender.empty());
    ASSERT_EQ(t.recipients.size(), 2u);
    EXPECT_EQ(t.recipients[1].str(), "b@example.org");
    ASSERT_EQ(t.findings.size(), 3u) << "rdns is the FCrDNS finding";
    EXPECT_EQ(t.findings[0].finding.name, "fcrdns");
    EXPECT_EQ(t.findings[2].stage, Stage::rcpt);
    const Expectation& e = load.policy_case->expect;
    EXPECT_EQ(e.verdict, "reject");
    EXPECT_EQ(e.rule, "blocked");
    EXPECT_EQ(e.reply, "554 5.7.1");
    EXPECT_EQ(e.stage, Stage::rcpt);
}

TEST(PolicyCases, EveryMistakeIsReportedAtItsPlace) {
    EXPECT_EQ(errors_of("sender: a@example.org\nrcpt: b@example.org\nexpect: {verdict: deliver}\nclient: 1.2.3.4\n"),
              (std::vector<std::string>{"case.yaml:4:1: unknown key 'client' at the top level"}));
    EXPECT_EQ(errors_of("client_ip: 1.2.3\nsender: a\nrcpt: []\nfindings: [spf]\nexpect: {verdict: pass}\n"),
              (std::vector<std::string>{
                  "case.yaml:1:12: client_ip: expected an IPv4 or IPv6 address, got '1.2.3'",
                  "case.yaml:2:9: sender: expected an address like user@example.org, got 'a'",
                  "case.yaml:3:7: rcpt: expected an address or a list of them, got an empty list",
                  "case.yaml:4:12: findings[0]: expected NAME=OUTCOME, got 'spf'",
                  "case.yaml:5:19: expect.verdict: expected one of reject, tempfail, disconnect, quarantine, "
                  "deliver, got \"pass\"",
              }));
    EXPECT_EQ(errors_of("sender: a@example.org\nrcpt: b@example.org\nmessage: absent.eml\n"
                        "expect: {verdict: deliver}\n"),
              (std::vector<std::string>{
                  "case.yaml:3:10: message: cannot read the message file /nonexistent/absent.eml"}));
    EXPECT_EQ(errors_of("sender: a@example.org\n"),
              (std::vector<std::string>{"case.yaml:1:1: missing key 'rcpt'", "case.yaml:1:1: missing key 'expect'"}));
    EXPECT_EQ(errors_of("[unclosed"),
              (std::vector<std::string>{"case.yaml:1:1: YAML syntax error: end of sequence flow not found"}));
}

TEST(PolicyCases, TheVerdictRuleStageAndReplyPrefixMustAllMatch) {
    TransactionVerdict got{"reject", "blocked", Stage::rcpt, 3, core::make_reply(554, "5.7.1", "Go away")};
    EXPECT_FALSE(unmet({"reject", "blocked", "554 5.7", Stage::rcpt}, got));
    EXPECT_FALSE(unmet({"reject", std::nullopt, "", std::nullopt}, got));
    EXPECT_EQ(unmet({"deliver", std::nullopt, "", std::nullopt}, got),
              "expected deliver, got reject (rule blocked at stage rcpt: 554 5.7.1 Go away)");
    EXPECT_EQ(unmet({"reject", "other", "", Stage::connect}, got),
              "expected reject by rule other at stage connect, got reject (rule blocked at stage rcpt: 554 5.7.1 "
              "Go away)");
    EXPECT_TRUE(unmet({"reject", std::nullopt, "550", std::nullopt}, got));
    got.rule.clear();
    EXPECT_FALSE(unmet({"reject", "none", "", std::nullopt}, got)) << "'none': no rule decided";
}

}  // namespace
}  // namespace mxgate::policy::rules
