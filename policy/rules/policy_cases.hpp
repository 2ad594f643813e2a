// The cases of `mxgate policy test --cases DIR`: each subfolder of DIR holds a
// case.yaml with an envelope, the findings its filters would report, an optional
// message file, and the verdict expected (docs/issue12-policy-test.md). Parsed
// like the policy itself: every mistake is a Diagnostic with file:line:column,
// and with any diagnostic there is no case.
#pragma once

#include <optional>
#include <string>

#include "policy/rules/walk.hpp"
#include "proxy/core/settings/reporter.hpp"

namespace mxgate::policy::rules {

struct Expectation {
    std::string verdict;  // reject, tempfail, disconnect, quarantine, deliver
    std::optional<std::string> rule;  // "none": no rule decided
    std::string reply;                // a prefix of the reply ("550 5.7.1"); "" = any
    std::optional<core::Stage> stage;
};

struct PolicyCase {
    Transaction transaction;
    Expectation expect;
};

struct CaseLoad {
    std::optional<PolicyCase> policy_case;  // nullopt when diagnostics is not empty
    settings::Diagnostics diagnostics;
};

// `file` names the text in messages; `message:` is resolved against `base_dir`.
CaseLoad parse_case(const std::string& yaml, const std::string& file, const std::string& base_dir);
CaseLoad load_case(const std::string& path);

// nullopt when the walk met the expectation, else "expected X, got Y (rule R at stage S: reply)".
std::optional<std::string> unmet(const Expectation& expect, const TransactionVerdict& got);

}  // namespace mxgate::policy::rules
