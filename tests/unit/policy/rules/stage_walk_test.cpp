// How the session walks a policy: the rules before and after a stage's filters
// (evaluate_before_filters / evaluate_after_filters), and what a decision
// settles past its stage (Scopes): score, accept, skip, headers, route.
#include <gtest/gtest.h>

#include "policy/rules/scopes.hpp"
#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using boost::asio::ip::make_address;
using core::Finding;
using core::Outcome;
using core::Stage;

constexpr const char* two_halves = R"(
rules:
  - name: partners-skip-greylisting
    when: {recipient: {domain: partner.example}}
    then: {skip: [greylist], score: -1}
  - name: greylisted
    when: {greylist: defer}
    then: {tempfail: true}
  - name: blocked-recipient
    when: {recipient: blocked@example.org}
    then: {reject: true}
)";

TEST(PolicyStageWalk, RulesBeforeTheFirstThatReadsTheStagesFindingsRunBeforeTheFilters) {
    const auto policy = compiled(two_halves);
    ASSERT_TRUE(policy);
    EXPECT_FALSE(policy->rules[0].after_filters);
    EXPECT_TRUE(policy->rules[1].after_filters) << "greylisting runs at RCPT";
    EXPECT_FALSE(policy->rules[2].after_filters) << "but it follows a rule that waits, so it waits too";

    Facts f;
    f.client_ip = make_address("192.0.2.1");
    f.recipient = address("a@partner.example");
    Decision d = evaluate_before_filters(*policy, Stage::rcpt, f);
    EXPECT_EQ(d.terminal, Terminal::none);
    ASSERT_TRUE(d.resume_at);
    EXPECT_EQ(*d.resume_at, 1u);
    EXPECT_EQ(d.rules_evaluated, 1u);
    EXPECT_EQ(d.skip_filters, std::vector<std::string>{"greylist"}) << "known before greylisting would run";

    const std::vector<Finding> found{{"greylist", Outcome::softfail, {}, ""}};
    f.findings = found;
    f.recipient = address("blocked@example.org");
    evaluate_after_filters(*policy, Stage::rcpt, f, d);
    EXPECT_EQ(d.terminal, Terminal::tempfail);
    EXPECT_EQ(d.rule, "greylisted");
    EXPECT_EQ(d.score, -1) << "the first half's score is kept";
    EXPECT_FALSE(d.resume_at);
}

TEST(PolicyStageWalk, ATerminalRuleBeforeTheFiltersEndsTheStageWithoutThem) {
    const auto policy = compiled(R"(
rules:
  - name: blocked-network
    when: {client_ip: 192.0.2.0/24}
    then: {reject: {code: 554}}
  - name: unconfirmed
    when: {fcrdns: false}
    then: {reject: true}
)");
    ASSERT_TRUE(policy);
    Facts f;
    f.client_ip = make_address("192.0.2.7");
    const Decision d = evaluate_before_filters(*policy, Stage::connect, f);
    EXPECT_EQ(d.terminal, Terminal::reject);
    EXPECT_FALSE(d.resume_at) << "nothing left to run after the filters";
}

TEST(PolicyStageWalk, AfterFiltersWithoutAPauseChangesNothing) {
    const auto policy = compiled("rules:\n  - name: r\n    when: {client_ip: 10.0.0.0/8}\n    then: {score: 2}\n");
    ASSERT_TRUE(policy);
    Facts f;
    f.client_ip = make_address("10.0.0.1");
    Decision d = evaluate_before_filters(*policy, Stage::connect, f);
    EXPECT_EQ(d.score, 2);
    evaluate_after_filters(*policy, Stage::connect, f, d);
    EXPECT_EQ(d.score, 2) << "no rule ran twice";
    EXPECT_EQ(d.rules_evaluated, 1u);
}

Decision decided(Terminal terminal, long score = 0, std::vector<std::string> skip = {},
                 std::vector<std::string> headers = {}, std::string route = {}) {
    Decision d;
    d.terminal = terminal;
    d.score = score;
    d.skip_filters = std::move(skip);
    d.add_headers = std::move(headers);
    d.route = std::move(route);
    return d;
}

TEST(PolicyScopes, ARepeatedHeloStartsAgainFromWhatConnectSettled) {
    Scopes scopes;
    scopes.begin(Stage::connect);
    scopes.apply(Stage::connect, decided(Terminal::none, 3));
    for (int i = 0; i < 5; ++i) {
        scopes.begin(Stage::helo);
        EXPECT_EQ(scopes.at(Stage::helo).score, 3);
        scopes.apply(Stage::helo, decided(Terminal::none, scopes.at(Stage::helo).score - 2));
    }
    scopes.begin(Stage::mail_from);
    EXPECT_EQ(scopes.at(Stage::mail_from).score, 1) << "one HELO's -2, not five";
}

TEST(PolicyScopes, ARecipientsDecisionIsItsOwnAndTheMessageGetsWhatAllRecipientsShare) {
    Scopes scopes;
    scopes.begin(Stage::connect);
    scopes.begin(Stage::helo);
    scopes.begin(Stage::mail_from);
    scopes.apply(Stage::mail_from, decided(Terminal::none, 1, {"spf"}, {"X-Seen: mail"}));

    scopes.begin(Stage::rcpt);
    scopes.apply(Stage::rcpt, decided(Terminal::none, 5, {"dkim", "dmarc"}, {"X-Partner: yes"}, "store"));
    EXPECT_EQ(scopes.at(Stage::rcpt).route, "store");
    scopes.recipient_accepted();

    scopes.begin(Stage::rcpt);
    EXPECT_EQ(scopes.at(Stage::rcpt).score, 1) << "the last recipient's score is not the next one's";
    EXPECT_EQ(scopes.at(Stage::rcpt).route, "");
    scopes.apply(Stage::rcpt, decided(Terminal::none, 1, {"dkim"}));
    scopes.recipient_accepted();

    scopes.begin(Stage::end_of_data);
    const Settled& message = scopes.at(Stage::end_of_data);
    EXPECT_EQ(message.score, 1);
    EXPECT_TRUE(message.skips("spf"));
    EXPECT_TRUE(message.skips("dkim")) << "both recipients skip it";
    EXPECT_FALSE(message.skips("dmarc")) << "only one does";
    EXPECT_EQ(message.headers, (std::vector<std::string>{"X-Seen: mail", "X-Partner: yes"}));
    EXPECT_FALSE(message.accepted);
}

TEST(PolicyScopes, AcceptEndsPolicyForItsScopeOnly) {
    Scopes scopes;
    scopes.begin(Stage::connect);
    scopes.begin(Stage::helo);
    scopes.begin(Stage::mail_from);
    scopes.begin(Stage::rcpt);
    scopes.apply(Stage::rcpt, decided(Terminal::accept));
    EXPECT_TRUE(scopes.at(Stage::rcpt).skips("greylist"));
    scopes.recipient_accepted();
    scopes.begin(Stage::rcpt);
    EXPECT_FALSE(scopes.at(Stage::rcpt).accepted);
    scopes.recipient_accepted();
    scopes.begin(Stage::end_of_data);
    EXPECT_FALSE(scopes.at(Stage::end_of_data).accepted) << "one recipient was not accepted by a rule";

    scopes.begin(Stage::mail_from);  // the next transaction
    scopes.begin(Stage::rcpt);
    scopes.apply(Stage::rcpt, decided(Terminal::accept));
    scopes.recipient_accepted();
    scopes.begin(Stage::end_of_data);
    EXPECT_TRUE(scopes.at(Stage::end_of_data).accepted) << "its only recipient was";

    scopes.begin(Stage::connect);  // a new session forgets everything
    scopes.apply(Stage::connect, decided(Terminal::accept));
    scopes.begin(Stage::helo);
    scopes.begin(Stage::mail_from);
    EXPECT_TRUE(scopes.at(Stage::mail_from).accepted) << "an accept at connect holds for the session";
}

}  // namespace
}  // namespace mxgate::policy::rules::test
