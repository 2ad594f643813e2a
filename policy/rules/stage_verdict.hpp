// A stage's verdict as the session applies it: the rules' decision (the file's
// rules, then the filters' default rules and default.temperror: default_rules.hpp)
// as a Verdict. Shared by the session and `mxgate policy test`, so an offline
// trace names the same rule and reply as the log. Pure; no errors.
#pragma once

#include <optional>

#include "policy/rules/evaluate.hpp"
#include "policy/verdict.hpp"

namespace mxgate::policy::rules {

// nullopt: carry on (no rule decided, or a rule said `stop`). An `accept` is a
// Verdict with action proceed and its rule, for the log. Replies come from
// smtp_reply(), the one decision-to-reply mapping.
std::optional<Verdict> stage_verdict(const Decision& decision);

}  // namespace mxgate::policy::rules
