// A filter's default rules as the tests check them: which rule a finding meets
// and the reply it renders, through policy's own matcher and template renderer
// (policy/rules/default_rules.hpp, text_template.hpp), so a test compares the
// whole reply a client would read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/rules/default_rules.hpp"
#include "policy/rules/text_template.hpp"
#include "proxy/core/default_rule.hpp"

namespace mxgate::test {

// The first of `rules` that meets `finding` at `stage`; null when none does.
inline const core::DefaultRule* first_match(const std::vector<core::DefaultRule>& rules, core::Stage stage,
                                            const core::Finding& finding) {
    for (const auto& rule : rules)
        if (rule.stage == stage && policy::rules::meets(rule, finding)) return &rule;
    return nullptr;
}

// The template with its placeholders filled from `findings`, as the stage's.
inline std::string rendered(std::string_view text, const std::vector<core::Finding>& findings) {
    return policy::rules::render_template(text, findings, {});
}

// "550 5.7.23 text" as the client would read it.
inline std::string rendered_reply(const core::DefaultRule& rule, const std::vector<core::Finding>& findings) {
    return std::to_string(rule.code) + " " + rule.enhanced + " " + rendered(rule.text, findings);
}

}  // namespace mxgate::test
