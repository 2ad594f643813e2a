// The policy compiler: policy.yaml (and the list files it names) in, a
// CompiledPolicy out, or every mistake found as a Diagnostic with
// file:line:column and a hint (did-you-mean, RE2's message, the stage a fact is
// known at). Never throws for bad input; nothing compiled is half-valid: with
// any diagnostic there is no policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policy/rules/compiled_policy.hpp"
#include "proxy/core/settings/reporter.hpp"

namespace mxgate::policy::rules {

struct CompileOptions {
    // When not empty, `skip:` and `route:` must name one of these (the registry's
    // filters, the config's backends); empty means "not known here, not checked".
    std::vector<std::string> known_filters;
    std::vector<std::string> known_backends;
};

struct CompileResult {
    std::shared_ptr<const CompiledPolicy> policy;  // null when diagnostics is not empty
    settings::Diagnostics diagnostics;             // sorted by file, line, column
};

// `file` names the text in messages; list files are resolved against `base_dir`.
CompileResult compile_policy(const std::string& yaml, const std::string& file, const std::string& base_dir,
                             const CompileOptions& options = {});
CompileResult compile_policy_file(const std::string& path, const CompileOptions& options = {});

// The earliest stage each condition kind is known at, and the stage a rule with
// only that kind runs at (they differ for score, known at every stage but final
// only at end of data).
core::Stage earliest_stage(ConditionKind kind);
core::Stage default_stage(ConditionKind kind);
// Whether a filter running at `stage` can produce the finding `kind` reads (the
// DNS lists run at connect, HELO and MAIL FROM; greylisting at RCPT...).
bool found_at(ConditionKind kind, core::Stage stage);

}  // namespace mxgate::policy::rules
