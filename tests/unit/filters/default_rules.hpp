// A filter's default rules as the tests check them: which rule a finding meets
// and the reply it renders, read the way proxy/core/default_rule.hpp says policy
// reads them, so a test can compare a whole reply with the one the filter gave
// before its rules moved to policy.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/default_rule.hpp"

namespace mxgate::test {

inline bool names_match(std::string_view pattern, std::string_view name) {
    if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*")
        return name.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
    return pattern == name;
}

// The first of `rules` that meets `finding` at `stage`; null when none does.
inline const core::DefaultRule* first_match(const std::vector<core::DefaultRule>& rules, core::Stage stage,
                                            const core::Finding& finding) {
    for (const auto& rule : rules) {
        if (rule.stage != stage || !names_match(rule.finding, finding.name)) continue;
        if (std::find(rule.outcomes.begin(), rule.outcomes.end(), finding.outcome) == rule.outcomes.end()) continue;
        const bool attrs_equal = std::all_of(rule.attrs.begin(), rule.attrs.end(),
                                             [&](const auto& kv) { return finding.attr(kv.first) == kv.second; });
        if (attrs_equal) return &rule;
    }
    return nullptr;
}

// The template with its placeholders filled from `findings` (no printable/short
// pass: the filters' facts are already made so).
inline std::string rendered(std::string_view text, const std::vector<core::Finding>& findings) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() && text[i + 1] == text[i]) {
            out += text[i++];
            continue;
        }
        if (text[i] != '{') {
            out += text[i];
            continue;
        }
        const std::size_t close = text.find('}', i);
        const std::string_view path = text.substr(i + 1, close - i - 1);
        const std::size_t dot = path.rfind('.');
        const std::string_view name = path.substr(0, dot), key = path.substr(dot + 1);
        for (const auto& finding : findings)
            if (finding.name == name) {
                out += key == "reason" ? std::string_view(finding.reason) : finding.attr(key);
                break;
            }
        i = close;
    }
    return out;
}

// "550 5.7.23 text" as the client would read it.
inline std::string rendered_reply(const core::DefaultRule& rule, const std::vector<core::Finding>& findings) {
    return std::to_string(rule.code) + " " + rule.enhanced + " " + rendered(rule.text, findings);
}

}  // namespace mxgate::test
