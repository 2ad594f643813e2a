// The offline walk of `policy test` (policy/rules/walk.hpp): stage by stage as
// the session does it: rules before and after each stage's filters, findings
// of skipped filters never seen, accept ending policy for its scope, per-recipient
// refusals, the filters' default rules when no rule decides, and the quarantine.
#include <gtest/gtest.h>

#include "filters/dnsbl/fcrdns.hpp"
#include "filters/registry.hpp"
#include "policy/rules/default_rules.hpp"
#include "policy/rules/test_input.hpp"
#include "policy/rules/walk.hpp"
#include "policy/rules/walk_report.hpp"
#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using boost::asio::ip::make_address;
using core::Stage;

GivenFinding given(const std::string& spec) {
    auto parsed = parse_finding(spec);
    EXPECT_TRUE(parsed.value) << spec << ": " << parsed.error;
    return parsed.value.value_or(GivenFinding{});
}

Transaction envelope(const std::string& ip, std::vector<std::string> recipients = {"rcpt@example.org"},
                     std::vector<std::string> findings = {}) {
    Transaction t;
    t.client_ip = make_address(ip);
    t.helo = "mx.sender.example";
    t.sender = address("alice@sender.example");
    for (const auto& r : recipients) t.recipients.push_back(address(r));
    for (const auto& f : findings) t.findings.push_back(given(f));
    return t;
}

Walk walked(const CompiledPolicy& policy, const Transaction& t) {
    return walk_transaction(policy, t, &filters::dnsbl::confirmed_name);
}

std::vector<Stage> stages_of(const Walk& w) {
    std::vector<Stage> out;
    for (const auto& step : w.steps) out.push_back(step.stage);
    return out;
}

TEST(PolicyWalk, ARefusalAtConnectEndsTheWalkWithItsReply) {
    const auto policy = compiled(rejecting("{client_ip: 192.0.2.0/24}"));
    ASSERT_TRUE(policy);
    const Walk w = walked(*policy, envelope("192.0.2.9"));
    EXPECT_EQ(stages_of(w), std::vector<Stage>{Stage::connect});
    EXPECT_EQ(w.verdict.verdict, "reject");
    EXPECT_EQ(w.verdict.rule, "r");
    EXPECT_EQ(w.verdict.stage, Stage::connect);
    EXPECT_EQ(w.verdict.reply.summary(), "550 5.7.1 Message rejected by policy");
    EXPECT_FALSE(w.steps[0].filters_ran) << "decided before the connect filters";
    EXPECT_EQ(summary_line(w.verdict), "verdict: reject by rule r (score 0): 550 5.7.1 Message rejected by policy");

    const Walk other = walked(*policy, envelope("198.51.100.1"));
    EXPECT_EQ(stages_of(other), (std::vector<Stage>{Stage::connect, Stage::helo, Stage::mail_from, Stage::rcpt,
                                                    Stage::end_of_data}));
    EXPECT_EQ(other.verdict.verdict, "deliver");
    EXPECT_EQ(other.verdict.rule, "");
    EXPECT_EQ(other.steps[0].reply.summary(), "220 (greeting)");
    EXPECT_EQ(other.steps[3].reply.summary(), "250 2.1.5 Ok");
}

constexpr const char* greylisting = R"(
rules:
  - name: allow-listed
    when: {client_ip: 203.0.113.0/24}
    then: {skip: [greylist]}
  - name: greylisted
    when:
      greylist: defer
      not: {dnswl: dnswl}
    then: {tempfail: {text: "Greylisted"}}
)";

TEST(PolicyWalk, ADnswlHitAtConnectExemptsARecipientFromGreylisting) {
    const auto policy = compiled(greylisting);
    ASSERT_TRUE(policy);
    Walk w = walked(*policy, envelope("192.0.2.1", {"a@example.org"}, {"greylist=softfail"}));
    EXPECT_EQ(w.verdict.verdict, "tempfail");
    EXPECT_EQ(w.verdict.rule, "greylisted");
    EXPECT_EQ(w.verdict.stage, Stage::rcpt);
    EXPECT_EQ(w.verdict.reply.summary(), "451 4.7.1 Greylisted");

    w = walked(*policy, envelope("192.0.2.1", {"a@example.org"}, {"greylist=softfail", "dnswl.dnswl=pass"}));
    EXPECT_EQ(w.verdict.verdict, "deliver");
    ASSERT_EQ(w.steps[0].found.size(), 1u) << "the DNSWL finding comes with the connect filters";
    EXPECT_EQ(w.steps[0].found[0].name, "dnswl.dnswl");
}

TEST(PolicyWalk, TheFindingsOfASkippedFilterAreNeverSeen) {
    const auto policy = compiled(greylisting);
    ASSERT_TRUE(policy);
    const Walk w = walked(*policy, envelope("203.0.113.5", {"a@example.org"}, {"greylist=softfail"}));
    EXPECT_EQ(w.verdict.verdict, "deliver");
    const StageStep& rcpt = w.steps[3];
    ASSERT_EQ(rcpt.stage, Stage::rcpt);
    EXPECT_TRUE(rcpt.found.empty());
    ASSERT_EQ(rcpt.hidden.size(), 1u);
    EXPECT_EQ(rcpt.hidden[0].name, "greylist");
    ASSERT_EQ(rcpt.decision.trace.size(), 1u);
    EXPECT_FALSE(rcpt.decision.trace[0].matched);
    EXPECT_NE(rcpt.decision.trace[0].why.find("no finding"), std::string::npos) << rcpt.decision.trace[0].why;
}

// `policy test --run-filters` runs the RCPT filters for each recipient: what they
// found for one is that recipient's alone, a --finding every recipient's.
TEST(PolicyWalk, ARcptFindingOfOneRecipientIsSeenAtThatRecipientOnly) {
    const auto policy = compiled(greylisting);
    ASSERT_TRUE(policy);
    Transaction t = envelope("192.0.2.1", {"a@example.org", "b@example.org"}, {"greylist=softfail"});
    t.findings.back().recipient = 1;
    const Walk w = walked(*policy, t);
    ASSERT_EQ(stages_of(w), (std::vector<Stage>{Stage::connect, Stage::helo, Stage::mail_from, Stage::rcpt,
                                                Stage::rcpt, Stage::end_of_data}));
    EXPECT_TRUE(w.steps[3].found.empty()) << "a@example.org: found for b@example.org only";
    EXPECT_EQ(w.steps[3].reply.summary(), "250 2.1.5 Ok");
    ASSERT_EQ(w.steps[4].found.size(), 1u);
    EXPECT_EQ(w.steps[4].reply.summary(), "451 4.7.1 Greylisted");
    EXPECT_EQ(w.verdict.verdict, "deliver") << "to a@example.org";
}

TEST(PolicyWalk, StopEndsTheRulesButTheFiltersStillRunForLaterStages) {
    const auto policy = compiled(R"(
rules:
  - name: stop-here
    when: {sender: sender.example}
    then: {stop: true}
  - name: never-reached
    when: {spf: fail}
    then: {reject: true}
  - name: grey-strangers
    when: {spf: fail, recipient: {domain: example.org}}
    then: {tempfail: {text: "seen at rcpt"}}
)");
    ASSERT_TRUE(policy);
    const Walk w = walked(*policy, envelope("203.0.113.5", {"a@example.org"}, {"spf=fail"}));
    const StageStep& mail = w.steps[2];
    ASSERT_EQ(mail.stage, Stage::mail_from);
    EXPECT_EQ(mail.decision.terminal, Terminal::stop);
    EXPECT_TRUE(mail.filters_ran) << "stop is not a verdict: SPF still runs";
    EXPECT_FALSE(mail.verdict) << "and no default rule decides after a stop";
    EXPECT_EQ(w.verdict.verdict, "tempfail");
    EXPECT_EQ(w.verdict.rule, "grey-strangers") << "a later stage reads the SPF finding";
}

TEST(PolicyWalk, AnAcceptAtConnectEndsPolicyForTheSession) {
    const auto policy = compiled(R"(
rules:
  - name: internal
    when: {client_ip: 10.0.0.0/8}
    then: {accept: true}
  - name: no-spf-fail
    when: {spf: fail}
    then: {reject: true}
)");
    ASSERT_TRUE(policy);
    const Walk w = walked(*policy, envelope("10.1.2.3", {"a@example.org"}, {"spf=fail"}));
    EXPECT_EQ(w.verdict.verdict, "deliver");
    EXPECT_EQ(w.verdict.rule, "internal");
    ASSERT_EQ(w.steps.size(), 5u);
    EXPECT_TRUE(w.steps[0].policy_ran);
    for (std::size_t i = 1; i < w.steps.size(); ++i) EXPECT_FALSE(w.steps[i].policy_ran) << i;
    EXPECT_TRUE(w.steps[2].found.empty()) << "no filter runs after an accept";

    const Walk outside = walked(*policy, envelope("192.0.2.1", {"a@example.org"}, {"spf=fail"}));
    EXPECT_EQ(outside.verdict.verdict, "reject");
    EXPECT_EQ(outside.verdict.stage, Stage::mail_from);
}

TEST(PolicyWalk, WhenNoRuleOfTheFileDecidesTheFiltersDefaultRulesDoAsInTheSession) {
    const auto every_filter = filters::default_rules_of_every_filter();
    const auto policy = with_default_rules(compiled("rules:\n  - name: note\n    then: {score: 1}\n"), every_filter);
    ASSERT_TRUE(policy);
    Walk w = walked(*policy, envelope("192.0.2.1", {"a@example.org"}, {"greylist=softfail;retry_after=300"}));
    EXPECT_EQ(w.verdict.verdict, "tempfail");
    EXPECT_EQ(w.verdict.rule, "greylist.defer");
    EXPECT_EQ(w.verdict.reply.summary(), "451 4.7.1 Greylisted, please try again in 300 seconds");
    EXPECT_EQ(w.verdict.score, 1);

    const auto watched = with_default_rules(compiled("monitor_filters: [greylist]\nrules: []\n"), every_filter);
    ASSERT_TRUE(watched);
    w = walked(*watched, envelope("192.0.2.1", {"a@example.org"}, {"greylist=softfail;retry_after=300"}));
    EXPECT_EQ(w.verdict.verdict, "deliver") << "a filter in monitor_filters only logs its verdict";
    ASSERT_EQ(w.steps[3].decision.monitored.size(), 1u);
    EXPECT_EQ(w.steps[3].decision.monitored[0].rule, "greylist.defer");
    EXPECT_NE(walk_report(w, envelope("192.0.2.1")).find(
                  "  monitored: rule greylist.defer would tempfail (451 4.7.1 Greylisted, please try again in 300 "
                  "seconds)\n"),
              std::string::npos);

    // A temperror no filter answers fails closed.
    w = walked(*policy, envelope("192.0.2.1", {"a@example.org"}, {"greylist=temperror"}));
    EXPECT_EQ(w.verdict.rule, "default.temperror");
    EXPECT_EQ(w.verdict.stage, Stage::rcpt);
}

TEST(PolicyWalk, EachRecipientIsDecidedAloneAndTheMessageGoesToTheAcceptedOnes) {
    const auto policy = compiled(R"(
rules:
  - name: no-such-user
    when: {recipient: nobody@example.org}
    then: {reject: {code: 550, enhanced: 5.1.1, text: "No such user"}}
  - name: two-recipients
    when: {recipient_count: {at_least: 2}}
    stage: end_of_data
    then: {reject: true}
)");
    ASSERT_TRUE(policy);
    Walk w = walked(*policy, envelope("192.0.2.1", {"nobody@example.org", "a@example.org"}));
    ASSERT_EQ(w.steps.size(), 6u);
    EXPECT_EQ(w.steps[3].reply.summary(), "550 5.1.1 No such user");
    EXPECT_EQ(w.steps[4].reply.summary(), "250 2.1.5 Ok");
    EXPECT_EQ(w.verdict.verdict, "deliver") << "one recipient at end of data";

    w = walked(*policy, envelope("192.0.2.1", {"b@example.org", "a@example.org"}));
    EXPECT_EQ(w.verdict.verdict, "reject");
    EXPECT_EQ(w.verdict.stage, Stage::end_of_data);

    w = walked(*policy, envelope("192.0.2.1", {"nobody@example.org", "nobody@example.org"}));
    EXPECT_EQ(w.steps.size(), 5u) << "no end of data without a recipient";
    EXPECT_EQ(w.verdict.verdict, "reject");
    EXPECT_EQ(w.verdict.stage, Stage::rcpt);
}

TEST(PolicyWalk, ScoresCarryFromStageToStage) {
    const auto policy = compiled(R"(
rules:
  - name: listed
    when: {dnsbl: zen}
    then: {score: 3}
  - name: soft
    when: {spf: softfail}
    then: {score: 2}
  - name: too-much
    when: {score: {at_least: 5}}
    then: {quarantine: {reason: score}}
)");
    ASSERT_TRUE(policy);
    Transaction t = envelope("192.0.2.1", {"a@example.org"}, {"dnsbl.zen=fail@mail_from", "spf=softfail"});
    Walk w = walked(*policy, t);
    EXPECT_EQ(w.verdict.verdict, "quarantine");
    EXPECT_EQ(w.verdict.rule, "too-much");
    EXPECT_EQ(w.verdict.score, 5);
    EXPECT_EQ(w.verdict.reply.summary(), "250 2.0.0 Ok");

    t.quarantine_store = false;
    w = walked(*policy, t);
    EXPECT_EQ(w.verdict.verdict, "deliver") << "the session delivers without a quarantine";
    EXPECT_TRUE(w.steps.back().quarantine_ignored);
}

TEST(PolicyWalk, RdnsIsKnownOnceTheConnectFiltersConfirmedIt) {
    const auto policy = compiled(R"(
rules:
  - name: dynamic
    when: {rdns: .dyn.example}
    then: {reject: true}
)");
    ASSERT_TRUE(policy);
    Transaction t = envelope("192.0.2.1");
    t.findings.push_back(confirmed_rdns("host-1.dyn.example"));
    const Walk w = walked(*policy, t);
    EXPECT_EQ(w.verdict.verdict, "reject");
    EXPECT_EQ(w.steps[0].trace_before_filters, 0u) << "an rdns rule waits for the connect filters";
    EXPECT_TRUE(w.steps[0].filters_ran);

    const std::string report = walk_report(w, t);
    EXPECT_NE(report.find("findings: fcrdns=pass;name=host-1.dyn.example\n"), std::string::npos) << report;
    EXPECT_NE(report.find("rule dynamic: MATCH: "), std::string::npos) << report;
    EXPECT_TRUE(report.ends_with("verdict: reject by rule dynamic (score 0): 550 5.7.1 Message rejected by policy\n"))
        << report;
}

TEST(PolicyWalk, MonitoredRulesAreReportedAndChangeNothing) {
    const auto policy = compiled(R"(
rules:
  - name: try-out
    monitor: true
    when: {client_ip: 192.0.2.0/24}
    then: {reject: {code: 554}}
)");
    ASSERT_TRUE(policy);
    const Transaction t = envelope("192.0.2.1");
    const Walk w = walked(*policy, t);
    EXPECT_EQ(w.verdict.verdict, "deliver");
    ASSERT_EQ(w.steps[0].decision.monitored.size(), 1u);
    const std::string report = walk_report(w, t);
    EXPECT_NE(report.find("monitored: rule try-out would reject (554 5.7.1 Message rejected by policy)"),
              std::string::npos)
        << report;
}

}  // namespace
}  // namespace mxgate::policy::rules::test
