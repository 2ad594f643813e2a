// A stage's verdict as the session applies it: the rules' decision, or, when no
// rule ended the stage, the built-in rules (policy/policy.cpp) over the findings
// of that stage, unless the filter they act on is in `monitor_filters`. Shared by
// the session and `mxgate policy test`, so an offline trace names the same rule
// and reply as the log. Pure; no errors.
#pragma once

#include <optional>
#include <vector>

#include "policy/policy.hpp"
#include "policy/rules/evaluate.hpp"

namespace mxgate::policy::rules {

struct StageVerdict {
    // nullopt: carry on (no rule and no built-in rule decided, or a rule said
    // `stop`). An `accept` is a Verdict with action proceed and its rule, for the log.
    // Replies come from smtp_reply(), the one decision-to-reply mapping.
    std::optional<Verdict> verdict;
    // A built-in rule's verdict over a filter in monitor_filters: logged, not applied.
    std::optional<Verdict> monitored;
};

StageVerdict stage_verdict(const Decision& decision, core::Stage stage, const CompiledPolicy& policy,
                           const Policy& built_in, const std::vector<core::Finding>& stage_findings);

}  // namespace mxgate::policy::rules
