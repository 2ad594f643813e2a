// Default rules into compiled rules (default_rules.hpp).
#include "policy/rules/default_rules.hpp"

#include <algorithm>
#include <cassert>

#include "policy/rules/evaluate.hpp"
#include "policy/rules/text_template.hpp"

namespace mxgate::policy::rules {

namespace {

using core::DefaultRule;
using Answer = DefaultRule::Answer;

Terminal terminal_of(Answer answer) {
    switch (answer) {
        case Answer::reject: return Terminal::reject;
        case Answer::tempfail: return Terminal::tempfail;
        case Answer::disconnect: return Terminal::disconnect;
        case Answer::quarantine: return Terminal::quarantine;
        case Answer::proceed: break;
    }
    return Terminal::none;
}

// "finding spf is fail|softfail" for traces and `policy test`.
std::string shown(const std::string& finding, const std::vector<core::Outcome>& outcomes,
                  const std::vector<std::pair<std::string, std::string>>& attrs) {
    std::string text = "finding " + finding + " is ";
    for (std::size_t i = 0; i < outcomes.size(); ++i) text += (i ? "|" : "") + std::string(core::to_string(outcomes[i]));
    for (const auto& [key, value] : attrs) text += " and " + key + "=" + value;
    return text;
}

Condition finding_condition(const std::string& finding, const std::vector<core::Outcome>& outcomes,
                            std::vector<std::pair<std::string, std::string>> attrs) {
    Condition when;
    when.kind = ConditionKind::finding;
    when.text = shown(finding, outcomes, attrs);
    when.name = finding;
    for (const auto outcome : outcomes) when.outcomes |= outcome_bit(outcome);
    when.attrs = std::move(attrs);
    return when;
}

Rule compiled(const DefaultRule& given, const std::string& filter, bool monitored) {
    Rule rule;
    rule.name = given.name;
    rule.description = "default rule of filters." + filter;
    rule.stage = given.stage;
    rule.after_filters = true;  // it reads what the stage's filters found
    rule.from_filter = filter;
    rule.monitor = monitored;
    rule.when = finding_condition(given.finding, given.outcomes, given.attrs);
    rule.then.terminal = terminal_of(given.answer);
    if (given.answer == Answer::quarantine) {
        assert(!template_error(given.text, Reasons::allowed));
        rule.then.quarantine_reason = given.text;
        rule.then.reason_templated = has_placeholders(given.text);
    } else {
        // A filter's template is its own constant: a mistake in it is a bug, not a config error.
        assert(!template_error(given.text, Reasons::refused));
        rule.then.reply = {given.code, given.enhanced, given.text, has_placeholders(given.text)};
    }
    return rule;
}

bool covers_temperror(const DefaultRule& rule) {
    return std::find(rule.outcomes.begin(), rule.outcomes.end(), core::Outcome::temperror) != rule.outcomes.end();
}

// Fail closed, at every stage, on a temperror no filter's rule answers (by name
// and attributes: a filter that fails open on a timeout still fails closed when it threw).
Rule temperror_rule_at(core::Stage stage, const std::vector<Condition>& answered) {
    Rule rule;
    rule.name = std::string(temperror_rule);
    rule.description = "a filter could not decide: defer rather than let mail past a check";
    rule.stage = stage;
    rule.after_filters = true;
    rule.when = finding_condition("*", {core::Outcome::temperror}, {});
    rule.when.children = answered;
    if (!answered.empty()) rule.when.text += " that no filter's rule answers";
    rule.then.terminal = Terminal::tempfail;
    rule.then.reply = {451, "4.7.0", "Temporary local problem, try again later", false};
    return rule;
}

}  // namespace

bool meets(const core::DefaultRule& rule, const core::Finding& finding) {
    return finding_meets(finding_condition(rule.finding, rule.outcomes, rule.attrs), finding);
}

std::shared_ptr<const CompiledPolicy> with_default_rules(std::shared_ptr<const CompiledPolicy> file,
                                                         std::span<const core::FilterDefaultRules> filters) {
    if (filters.empty()) return file;
    auto policy = std::make_shared<CompiledPolicy>(file ? *file : CompiledPolicy{});
    const auto listed = [](const std::vector<std::string>& filters, const std::string& filter) {
        return std::find(filters.begin(), filters.end(), filter) != filters.end();
    };
    std::vector<Condition> answered;  // the temperrors a filter's rule answers (or lets pass)
    std::vector<Rule> quarantines;
    for (const auto& filter : filters) {
        for (const DefaultRule& given : filter.rules) {
            // A fail-open declaration stays; a left-out answer to a temperror leaves it to fail closed.
            const bool left_out =
                given.answer != Answer::proceed && listed(policy->filters_without_default_rules, filter.filter);
            if (covers_temperror(given) && !left_out)
                answered.push_back(finding_condition(given.finding, {core::Outcome::temperror}, given.attrs));
            if (given.answer == Answer::proceed || left_out) continue;
            Rule rule = compiled(given, filter.filter, listed(policy->monitored_filters, filter.filter));
            (given.answer == Answer::quarantine ? quarantines : policy->rules).push_back(std::move(rule));
        }
    }
    for (std::size_t stage = 0; stage < stage_count; ++stage)
        policy->rules.push_back(temperror_rule_at(static_cast<core::Stage>(stage), answered));
    for (auto& rule : quarantines) policy->rules.push_back(std::move(rule));

    const std::size_t from = file ? file->rules.size() : 0;
    for (std::size_t i = from; i < policy->rules.size(); ++i)
        policy->by_stage[static_cast<std::size_t>(policy->rules[i].stage)].push_back(static_cast<std::uint32_t>(i));
    return policy;
}

}  // namespace mxgate::policy::rules
