// Turns the findings of a stage into a verdict. Policy sees only findings (names,
// outcomes, attributes), never filter classes. The rules are built in (policy.cpp:
// rate limits, greylisting, each filter's stated action, fail closed on a temperror
// that states none); a YAML rule engine is to make them editable here, without
// touching the session or the filters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/verdict.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::policy {

class Policy {
public:
    Verdict decide(core::Stage stage, const std::vector<core::Finding>& findings) const;
};

// The filter (its registry key) that emits a finding: "spf.helo" -> "spf",
// "ratelimit.messages" -> "rate_limit", "dnswl.x" and "fcrdns" -> "dnsbl".
std::string filter_of_finding(std::string_view finding);

}  // namespace mxgate::policy
