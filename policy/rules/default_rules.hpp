// The filters' shorthand (SPF's on_fail, the DNS lists' reject_score,
// greylisting's deferral, the rate limits: proxy/core/default_rule.hpp) compiled
// into rules after the policy file's own, plus policy's one rule of its own,
// `default.temperror`: a filter that could not decide and did not say it fails
// open defers the message (451 4.7.0), so mail never slips past a check. With
// this, policy is the one author of every verdict (docs/policy.md "Shorthand").
#pragma once

#include <memory>
#include <span>

#include "policy/rules/compiled_policy.hpp"
#include "proxy/core/default_rule.hpp"

namespace mxgate::policy::rules {

// The rules a session evaluates: `file`'s (null without a policy file), then each
// filter's default rules in `filters`' order (chain order), then default.temperror,
// then the default rules that quarantine (the weakest verdict: any refusal wins).
// A filter in the file's `monitor_filters` has its default rules only monitored;
// one in `without_default_rules` keeps only those that let a temperror pass.
// Null when there is nothing to evaluate (no file and no filter).
std::shared_ptr<const CompiledPolicy> with_default_rules(std::shared_ptr<const CompiledPolicy> file,
                                                         std::span<const core::FilterDefaultRules> filters);

inline constexpr std::string_view temperror_rule = "default.temperror";

// Whether `finding` meets `rule`'s condition, as the compiled rule reads it (for
// the filters' tests of their own rules).
bool meets(const core::DefaultRule& rule, const core::Finding& finding);

}  // namespace mxgate::policy::rules
