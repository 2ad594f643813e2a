// `mxgate policy check` (policy_command.hpp).
#include "proxy/policy_command.hpp"

#include <iostream>

#include "filters/registry.hpp"
#include "proxy/config/decode.hpp"
#include "policy/rules/compile.hpp"

namespace mxgate {

namespace {

using policy::rules::CompiledPolicy;

// "connect (2): allow-internal, block-nets" per stage, then the monitored rules.
void print_summary(const CompiledPolicy& policy, std::ostream& out) {
    out << policy.file << ": " << policy.rules.size() << (policy.rules.size() == 1 ? " rule" : " rules") << '\n';
    for (std::size_t stage = 0; stage < policy.by_stage.size(); ++stage) {
        const auto& indexes = policy.by_stage[stage];
        out << "  " << core::to_string(static_cast<core::Stage>(stage)) << " (" << indexes.size() << ")";
        const char* separator = ": ";
        for (const auto index : indexes) {
            const auto& rule = policy.rules[index];
            out << separator << rule.name << (rule.monitor ? " [monitor]" : "");
            separator = ", ";
        }
        out << '\n';
    }
}

}  // namespace

void add_policy_command(CLI::App& app, PolicyCommand& command) {
    CLI::App* policy = app.add_subcommand("policy", "work with a policy file (issue 12)");
    policy->require_subcommand(1);
    command.check = policy->add_subcommand("check", "compile a policy file: print its errors, or its rules per stage");
    command.check->add_option("file", command.file, "the policy file")->required();
    command.check->add_option("--config", command.config, "a main config whose backends `route:` may name");
}

std::optional<int> run_policy_command(const PolicyCommand& command) {
    if (!command.check || !command.check->parsed()) return std::nullopt;
    policy::rules::CompileOptions options;
    for (const auto& row : filters::registry()) options.known_filters.emplace_back(row.filter.key);
    if (!command.config.empty()) {
        config::Diagnostics problems;
        const auto config = config::load_config(command.config, problems);
        if (!config) {
            for (const auto& d : problems) std::cerr << d.str() << '\n';
            return 1;
        }
        for (const auto& [name, backend] : config->backends) options.known_backends.push_back(name);
    }
    const auto result = policy::rules::compile_policy_file(command.file, options);
    if (!result.policy) {
        for (const auto& d : result.diagnostics) std::cerr << d.str() << '\n';
        return 1;
    }
    print_summary(*result.policy, std::cout);
    return 0;
}

}  // namespace mxgate
