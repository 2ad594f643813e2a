#include "policy/rules/summary.hpp"

namespace mxgate::policy::rules {

void print_summary(const CompiledPolicy& policy, std::ostream& out, std::string_view line_prefix) {
    out << line_prefix << policy.file << ": " << policy.rules.size() << (policy.rules.size() == 1 ? " rule" : " rules")
        << '\n';
    for (std::size_t stage = 0; stage < policy.by_stage.size(); ++stage) {
        const auto& indexes = policy.by_stage[stage];
        out << line_prefix << "  " << core::to_string(static_cast<core::Stage>(stage)) << " (" << indexes.size() << ")";
        const char* separator = ": ";
        for (const auto index : indexes) {
            const auto& rule = policy.rules[index];
            out << separator << rule.name << (rule.monitor ? " [monitor]" : "");
            separator = ", ";
        }
        out << '\n';
    }
}

}  // namespace mxgate::policy::rules
