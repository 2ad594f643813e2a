// Actions, rule order, score accumulation, monitor mode, the trace, and the one
// decision -> SMTP reply mapping.
#include <gtest/gtest.h>

#include "policy/rules/smtp_reply.hpp"
#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using boost::asio::ip::make_address;
using core::Stage;

Facts from(const std::string& ip, const std::string& sender = "") {
    Facts f;
    f.client_ip = make_address(ip);
    if (!sender.empty()) f.sender = address(sender);
    return f;
}

TEST(PolicyEvaluate, TheFirstTerminalRuleDecidesAndLaterRulesAreNotRun) {
    const auto policy = compiled(R"(
rules:
  - name: internal
    when: {client_ip: 10.0.0.0/8}
    then: {accept: true}
  - name: everyone-else
    when: {client_ip: 0.0.0.0/0}
    then: {reject: {code: 554, enhanced: 5.7.1, text: "Go away"}}
)");
    ASSERT_TRUE(policy);
    auto d = evaluate(*policy, Stage::connect, from("10.1.2.3"));
    EXPECT_EQ(d.terminal, Terminal::accept);
    EXPECT_EQ(d.rule, "internal");
    EXPECT_EQ(d.rules_evaluated, 1u);
    d = evaluate(*policy, Stage::connect, from("192.0.2.1"));
    EXPECT_EQ(d.terminal, Terminal::reject);
    EXPECT_EQ(d.rule, "everyone-else");
    const auto reply = smtp_reply(d);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->wire(), "554 5.7.1 Go away\r\n");
}

TEST(PolicyEvaluate, OnlyTheRulesOfTheStageRun) {
    const auto policy = compiled(R"(
rules:
  - name: by-sender
    when: {sender: spam.example}
    then: {reject: true}
  - name: by-ip
    when: {client_ip: 192.0.2.0/24}
    then: {tempfail: true}
)");
    ASSERT_TRUE(policy);
    const Facts f = from("192.0.2.1", "x@spam.example");
    auto d = evaluate(*policy, Stage::connect, f);
    EXPECT_EQ(d.rule, "by-ip");
    d = evaluate(*policy, Stage::mail_from, f);
    EXPECT_EQ(d.rule, "by-sender");
    EXPECT_EQ(d.rules_evaluated, 1u);
    EXPECT_EQ(evaluate(*policy, Stage::helo, f).rules_evaluated, 0u);
}

TEST(PolicyEvaluate, ScoresAddUpAndAThresholdRuleReadsTheSum) {
    const auto policy = compiled(R"(
rules:
  - name: no-fcrdns
    when: {fcrdns: false}
    stage: end_of_data
    then: {score: +3}
  - name: bulk-header
    when: {header: {name: X-Bulk}}
    then: {score: 4, add_header: "X-Spam-Flag: maybe"}
  - name: allow-back
    when: {header: {name: List-Id}}
    then: {score: -1}
  - name: too-spammy
    when: {score: {at_least: 10}}
    then: {reject: true}
  - name: tag
    when: {score: {at_least: 5}}
    then: {add_header: ["X-Spam: yes"], route: quarantine-box}
)");
    ASSERT_TRUE(policy);
    const std::vector<HeaderField> fields = {{"X-Bulk", "1"}, {"List-Id", "<l.example>"}};
    Facts f;
    f.header_fields = fields;
    f.score = 1;  // from earlier stages
    auto d = evaluate(*policy, Stage::end_of_data, f);
    EXPECT_EQ(d.score, 1 + 3 + 4 - 1);
    EXPECT_EQ(d.terminal, Terminal::none);
    EXPECT_EQ(d.rule, "");
    EXPECT_EQ(d.add_headers, (std::vector<std::string>{"X-Spam-Flag: maybe", "X-Spam: yes"}));
    EXPECT_EQ(d.route, "quarantine-box");
    EXPECT_FALSE(smtp_reply(d));
    f.score = 4;
    d = evaluate(*policy, Stage::end_of_data, f);
    EXPECT_EQ(d.terminal, Terminal::reject);
    EXPECT_EQ(d.rule, "too-spammy");
    EXPECT_EQ(smtp_reply(d)->wire(), "550 5.7.1 Message rejected by policy\r\n");
}

TEST(PolicyEvaluate, StopEndsTheStageWithoutAVerdictSkipAndQuarantine) {
    const auto policy = compiled(R"(
rules:
  - name: listed-ok
    when: {dnswl: dnswl}
    stage: rcpt
    then: {skip: [greylist, dnsbl], stop: true}
  - name: greylist-unknown
    when: {greylist: defer}
    then: {tempfail: {code: 451, enhanced: 4.7.1, text: "Greylisted, try again later"}}
  - name: dmarc-quarantine
    when: {dmarc: {result: fail, policy: quarantine}}
    then: {quarantine: {reason: dmarc}}
)");
    ASSERT_TRUE(policy);
    std::vector<core::Finding> findings = {{"dnswl.dnswl", core::Outcome::pass, {}, ""},
                                           {"greylist", core::Outcome::softfail, {}, ""}};
    Facts f;
    f.findings = findings;
    auto d = evaluate(*policy, Stage::rcpt, f);
    EXPECT_EQ(d.terminal, Terminal::stop);
    EXPECT_EQ(d.rule, "listed-ok");
    EXPECT_EQ(d.skip_filters, (std::vector<std::string>{"greylist", "dnsbl"}));
    EXPECT_FALSE(smtp_reply(d));
    findings.erase(findings.begin());
    f.findings = findings;
    d = evaluate(*policy, Stage::rcpt, f);
    EXPECT_EQ(d.terminal, Terminal::tempfail);
    EXPECT_EQ(smtp_reply(d)->wire(), "451 4.7.1 Greylisted, try again later\r\n");
    findings = {{"dmarc", core::Outcome::fail, {{"policy", "quarantine"}}, ""}};
    f.findings = findings;
    d = evaluate(*policy, Stage::end_of_data, f);
    EXPECT_EQ(d.terminal, Terminal::quarantine);
    EXPECT_EQ(d.quarantine_reason, "dmarc");
    EXPECT_FALSE(smtp_reply(d));  // the client is told the mail was taken
}

TEST(PolicyEvaluate, DefaultRepliesForTempfailAndDisconnect) {
    const auto policy = compiled(R"(
rules:
  - name: slow-down
    when: {client_ip: 192.0.2.0/24}
    then: {tempfail: true}
  - name: go
    when: {client_ip: 198.51.100.0/24}
    then: {disconnect: {text: "Too many connections"}}
)");
    ASSERT_TRUE(policy);
    EXPECT_EQ(smtp_reply(evaluate(*policy, Stage::connect, from("192.0.2.1")))->wire(),
              "451 4.7.1 Try again later\r\n");
    EXPECT_EQ(smtp_reply(evaluate(*policy, Stage::connect, from("198.51.100.1")))->wire(),
              "421 4.7.0 Too many connections\r\n");
}

TEST(PolicyEvaluate, AMonitoredRuleRecordsWhatItWouldHaveDoneAndChangesNothing) {
    const auto policy = compiled(R"(
rules:
  - name: new-rule
    monitor: true
    when: {client_ip: 192.0.2.0/24}
    then: {reject: {code: 554}, score: 5, add_header: "X-New: 1"}
  - name: old-rule
    when: {client_ip: 192.0.2.0/24}
    then: {score: 1}
)");
    ASSERT_TRUE(policy);
    const auto d = evaluate(*policy, Stage::connect, from("192.0.2.9"));
    EXPECT_EQ(d.terminal, Terminal::none);
    EXPECT_EQ(d.score, 1);
    EXPECT_TRUE(d.add_headers.empty());
    ASSERT_EQ(d.monitored.size(), 1u);
    EXPECT_EQ(d.monitored[0].rule, "new-rule");
    EXPECT_EQ(d.monitored[0].terminal, Terminal::reject);
    EXPECT_EQ(d.monitored[0].reply.code, 554);
    EXPECT_EQ(d.monitored[0].score, 5);
    EXPECT_EQ(smtp_reply(d.monitored[0].terminal, d.monitored[0].reply)->wire(),
              "554 5.7.1 Message rejected by policy\r\n");
}

TEST(PolicyEvaluate, AWholePolicyInMonitorMode) {
    const auto policy = compiled("monitor: true\n" + rejecting("{client_ip: 192.0.2.0/24}"));
    ASSERT_TRUE(policy);
    const auto d = evaluate(*policy, Stage::connect, from("192.0.2.9"));
    EXPECT_EQ(d.terminal, Terminal::none);
    ASSERT_EQ(d.monitored.size(), 1u);
    EXPECT_EQ(d.monitored[0].terminal, Terminal::reject);
}

TEST(PolicyEvaluate, TheTraceSaysWhyEachRuleMatchedOrNot) {
    const auto policy = compiled(R"(
rules:
  - name: a
    when: {client_ip: 10.0.0.0/8}
    then: {score: 1}
  - name: b
    when: {any: [{rdns: .example.org}, {fcrdns: true}]}
    then: {score: 1}
  - name: c
    when: {not: {client_ip: 10.0.0.0/8}}
    then: {accept: true}
)");
    ASSERT_TRUE(policy);
    Facts f = from("192.0.2.1");
    f.rdns = "host.other.example";
    const auto d = evaluate(*policy, Stage::connect, f, Tracing::on);
    ASSERT_EQ(d.trace.size(), 3u);
    EXPECT_EQ(d.trace[0].rule, "a");
    EXPECT_FALSE(d.trace[0].matched);
    EXPECT_EQ(d.trace[0].why, "client_ip in 10.0.0.0/8 [192.0.2.1]: no");
    EXPECT_FALSE(d.trace[1].matched);
    EXPECT_EQ(d.trace[1].why, "none of (rdns is .example.org or fcrdns is true)");
    EXPECT_TRUE(d.trace[2].matched);
    EXPECT_EQ(d.trace[2].why, "not (client_ip in 10.0.0.0/8 [192.0.2.1]: no)");
    EXPECT_TRUE(evaluate(*policy, Stage::connect, f).trace.empty());  // off unless asked for
}

}  // namespace
}  // namespace mxgate::policy::rules::test
