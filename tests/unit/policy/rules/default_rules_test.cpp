// The filters' default rules compiled after the file's (policy/rules/default_rules.hpp):
// templates over this stage's findings, default.temperror for what no filter
// answers, chain order, quarantine weakest, monitor_filters.
#include <gtest/gtest.h>

#include "policy/policy.hpp"
#include "policy/rules/default_rules.hpp"
#include "policy/rules/stage_verdict.hpp"
#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using core::DefaultRule;
using core::Outcome;
using core::Stage;
using Answer = DefaultRule::Answer;

DefaultRule rule(std::string name, Stage stage, std::string finding, std::vector<Outcome> outcomes, Answer answer,
                 int code = 0, std::string enhanced = "", std::string text = "") {
    return {std::move(name), stage, std::move(finding), std::move(outcomes), {}, answer, code, std::move(enhanced),
            std::move(text)};
}

// A greylist, DNS-list and DMARC stand-in, as their registrations state them.
std::vector<core::FilterDefaultRules> filters() {
    DefaultRule helo_invalid = rule("helo.reject_invalid_hostname", Stage::helo, "helo", {Outcome::fail},
                                    Answer::reject, 501, "5.5.2", "<{helo.name}>: Helo command rejected: Invalid name");
    helo_invalid.attrs = {{"check", "invalid_hostname"}};
    DefaultRule timeout_proceeds = rule("greylist.fail_open", Stage::rcpt, "greylist", {Outcome::temperror}, Answer::proceed);
    timeout_proceeds.attrs = {{"error", "timeout"}};
    return {
        {"helo", {helo_invalid}},
        {"dnsbl",
         {rule("dnsbl.reject_score", Stage::rcpt, "dnsbl", {Outcome::fail}, Answer::reject, 554, "5.7.1",
               "Service unavailable; {dnsbl.explanation}"),
          rule("dnsbl.temperror", Stage::connect, "dnsbl.*", {Outcome::temperror}, Answer::proceed)}},
        {"greylist",
         {rule("greylist.defer", Stage::rcpt, "greylist", {Outcome::softfail}, Answer::tempfail, 451, "4.7.1",
               "Greylisted, please try again in {greylist.retry_after} seconds"),
          timeout_proceeds}},
        {"dmarc",
         {rule("dmarc.on_quarantine_fail", Stage::end_of_data, "dmarc", {Outcome::fail}, Answer::quarantine, 0, "",
               "{dmarc.reason}")}},
    };
}

std::shared_ptr<const CompiledPolicy> session_rules(const std::string& yaml = "rules: []\n") {
    return with_default_rules(compiled(yaml), filters());
}

Facts found(std::vector<core::Finding>& stage_findings) {
    Facts facts;
    facts.findings = stage_findings;
    facts.stage_findings = stage_findings;
    return facts;
}

std::optional<Verdict> verdict_at(const CompiledPolicy& policy, Stage stage, std::vector<core::Finding> findings) {
    return stage_verdict(evaluate(policy, stage, found(findings)));
}

TEST(DefaultRules, AFiltersRuleAnswersWithItsTemplateFilledFromTheStagesFinding) {
    const auto policy = session_rules();
    const auto v = verdict_at(*policy, Stage::rcpt,
                              {{"greylist", Outcome::softfail, {{"retry_after", "300"}}, "new triplet"}});
    ASSERT_TRUE(v);
    EXPECT_EQ(v->rule, "greylist.defer");
    EXPECT_EQ(v->reply().summary(), "451 4.7.1 Greylisted, please try again in 300 seconds");

    const auto helo = verdict_at(*policy, Stage::helo,
                                 {{"helo", Outcome::fail, {{"check", "invalid_hostname"}, {"name", "a b"}}, ""}});
    ASSERT_TRUE(helo);
    EXPECT_EQ(helo->reply().summary(), "501 5.5.2 <a b>: Helo command rejected: Invalid name");
    EXPECT_FALSE(verdict_at(*policy, Stage::helo, {{"helo", Outcome::fail, {{"check", "non_fqdn_hostname"}}, ""}}))
        << "its attrs must match too";
}

TEST(DefaultRules, ATemperrorNoFilterAnswersFailsClosedAtItsStage) {
    const auto policy = session_rules();
    const auto v = verdict_at(*policy, Stage::rcpt, {{"greylist", Outcome::temperror, {{"store", "unavailable"}}, ""}});
    ASSERT_TRUE(v);
    EXPECT_EQ(v->rule, std::string(temperror_rule));
    EXPECT_EQ(v->reply().summary(), "451 4.7.0 Temporary local problem, try again later");
    EXPECT_FALSE(verdict_at(*policy, Stage::connect, {{"dnsbl.zen", Outcome::temperror, {}, ""}}))
        << "dnsbl.* says its temperrors fail open";
    EXPECT_FALSE(verdict_at(*policy, Stage::rcpt, {{"greylist", Outcome::temperror, {{"error", "timeout"}}, ""}}))
        << "a timeout its filter lets pass";
    const auto thrown = verdict_at(*policy, Stage::rcpt, {{"greylist", Outcome::temperror, {{"error", "exception"}}, ""}});
    ASSERT_TRUE(thrown) << "a filter that threw is not a timeout: its rule's attrs do not match";
    EXPECT_EQ(thrown->rule, std::string(temperror_rule));
}

TEST(DefaultRules, TheyReadOnlyWhatThisStagesFiltersFound) {
    const auto policy = session_rules();
    std::vector<core::Finding> earlier{{"greylist", Outcome::temperror, {}, ""}};
    Facts facts;
    facts.findings = earlier;  // an earlier stage's, still in the transaction's findings
    EXPECT_EQ(evaluate(*policy, Stage::end_of_data, facts).terminal, Terminal::none);
}

TEST(DefaultRules, ChainOrderDecidesAndTheFilesRulesComeFirst) {
    std::vector<core::Finding> both{{"dnsbl", Outcome::fail, {{"explanation", "Client host [192.0.2.1] blocked"}}, ""},
                                    {"greylist", Outcome::softfail, {{"retry_after", "60"}}, ""}};
    const auto v = verdict_at(*session_rules(), Stage::rcpt, both);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->rule, "dnsbl.reject_score");
    EXPECT_EQ(v->reply().summary(), "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked");

    const auto file_first = session_rules(R"(
rules:
  - name: partners
    when: {recipient: {domain: example.org}}
    then: {accept: true}
)");
    Facts facts = found(both);
    const core::Address rcpt = address("a@example.org");
    facts.recipient = rcpt;
    const Decision d = evaluate(*file_first, Stage::rcpt, facts);
    EXPECT_EQ(d.terminal, Terminal::accept);
    EXPECT_EQ(d.rule, "partners");
}

TEST(DefaultRules, AQuarantineIsTheWeakestAnswer) {
    const auto policy = session_rules();
    const auto v = verdict_at(*policy, Stage::end_of_data, {{"dmarc", Outcome::fail, {}, "dmarc fail for example.org"}});
    ASSERT_TRUE(v);
    EXPECT_EQ(v->action, Verdict::Action::quarantine);
    EXPECT_EQ(v->rule, "dmarc.on_quarantine_fail");
    EXPECT_EQ(v->reason, "dmarc fail for example.org") << "{dmarc.reason} is the finding's reason";

    const auto deferred = verdict_at(*policy, Stage::end_of_data,
                                     {{"dmarc", Outcome::fail, {}, ""}, {"dkim", Outcome::temperror, {}, ""}});
    ASSERT_TRUE(deferred);
    EXPECT_EQ(deferred->action, Verdict::Action::tempfail) << "an undecided temperror wins over a quarantine";
}

TEST(DefaultRules, AMonitoredFiltersRulesOnlyRecordWhatTheyWouldHaveDone) {
    const auto policy = session_rules("monitor_filters: [greylist]\nrules: []\n");
    std::vector<core::Finding> grey{{"greylist", Outcome::softfail, {{"retry_after", "300"}}, ""}};
    const Decision d = evaluate(*policy, Stage::rcpt, found(grey));
    EXPECT_EQ(d.terminal, Terminal::none);
    ASSERT_EQ(d.monitored.size(), 1u);
    EXPECT_EQ(d.monitored[0].rule, "greylist.defer");
    EXPECT_EQ(d.monitored[0].reply.text, "Greylisted, please try again in 300 seconds") << "rendered for the log";
}

TEST(DefaultRules, AFileThatDecidesForAFilterLeavesOutItsAnswersButNotItsFailOpen) {
    const auto policy = session_rules("without_default_rules: [greylist, dnsbl]\nrules: []\n");
    EXPECT_FALSE(verdict_at(*policy, Stage::rcpt, {{"greylist", Outcome::softfail, {{"retry_after", "300"}}, ""}}))
        << "greylist.defer is left out";
    EXPECT_FALSE(verdict_at(*policy, Stage::connect, {{"dnsbl.zen", Outcome::temperror, {}, ""}}))
        << "an unanswered list still is no hit";
    const auto thrown = verdict_at(*policy, Stage::rcpt, {{"greylist", Outcome::temperror, {{"error", "timeout"}}, ""}});
    EXPECT_FALSE(thrown) << "greylist.fail_open is a proceed rule: it stays";
    EXPECT_FALSE(errors("without_default_rules: [greylst]\nrules: []\n",  ".",
                        CompileOptions{{"greylist", "spf"}, {}}).empty());
}

TEST(DefaultRules, WithoutFiltersTheFilesPolicyIsUnchanged) {
    const auto file = compiled("rules: []\n");
    EXPECT_EQ(with_default_rules(file, {}), file);
    EXPECT_EQ(with_default_rules(nullptr, {}), nullptr);
    const auto alone = with_default_rules(nullptr, filters());
    ASSERT_TRUE(alone);
    EXPECT_FALSE(alone->reads_message) << "default rules read findings, never the message";
    EXPECT_TRUE(compiled(rejecting("{header: {name: Subject}}"))->reads_message);
}

TEST(DefaultRules, AFindingNamesTheFilterItCameFrom) {
    EXPECT_EQ(filter_of_finding("ratelimit.messages"), "rate_limit");
    EXPECT_EQ(filter_of_finding("dnswl.list"), "dnsbl");
    EXPECT_EQ(filter_of_finding("fcrdns"), "dnsbl");
    EXPECT_EQ(filter_of_finding("spf.helo"), "spf");
}

}  // namespace
}  // namespace mxgate::policy::rules::test
