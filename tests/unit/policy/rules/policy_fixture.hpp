// Helpers for the rule engine's tests: compile a policy from text (a failure
// prints its diagnostics), facts with a client, a sender and recipients.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/rules/compile.hpp"
#include "policy/rules/evaluate.hpp"

namespace mxgate::policy::rules::test {

inline std::shared_ptr<const CompiledPolicy> compiled(const std::string& yaml, const std::string& base_dir = ".") {
    auto result = compile_policy(yaml, "policy.yaml", base_dir);
    for (const auto& d : result.diagnostics) ADD_FAILURE() << d.str();
    return result.policy;
}

// Every diagnostic as "file:line:column: message".
inline std::vector<std::string> errors(const std::string& yaml, const std::string& base_dir = ".",
                                       const CompileOptions& options = {}) {
    auto result = compile_policy(yaml, "policy.yaml", base_dir, options);
    EXPECT_EQ(result.policy == nullptr, !result.diagnostics.empty());
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics) out.push_back(d.str());
    return out;
}

inline core::Address address(const std::string& text) {
    const auto at = text.rfind('@');
    if (at == std::string::npos) return {text, "", false};
    return {text.substr(0, at), text.substr(at + 1), false};
}

// One rule "r" with `when` (flow or block YAML, indented for the rule) that rejects.
inline std::string rejecting(const std::string& when, const std::string& extra = "") {
    return "rules:\n  - name: r\n    when: " + when + "\n    then: {reject: true}\n" + extra;
}

}  // namespace mxgate::policy::rules::test
