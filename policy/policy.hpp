// Turns the findings of a stage into a verdict. Policy sees only findings (names,
// outcomes, attributes), never filter classes. With no rules configured every
// stage proceeds; the YAML rule engine (RE2 conditions, scores, actions) grows
// here without touching the session or the filters.
#pragma once

#include <vector>

#include "policy/verdict.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::policy {

class Policy {
public:
    Verdict decide(core::Stage stage, const std::vector<core::Finding>& findings) const;
};

}  // namespace mxgate::policy
