// The short description of a compiled policy that `mxgate policy check` and
// `mxgate --check-config` print: its rules per stage, monitored ones marked.
#pragma once

#include <ostream>
#include <string_view>

#include "policy/rules/compiled_policy.hpp"

namespace mxgate::policy::rules {

// "policy.yaml: 3 rules", then "  connect (2): allow-internal, block-nets" per
// stage; each line starts with `line_prefix` ("# " keeps a YAML dump valid).
void print_summary(const CompiledPolicy& policy, std::ostream& out, std::string_view line_prefix = "");

}  // namespace mxgate::policy::rules
