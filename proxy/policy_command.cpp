// `mxgate policy check` (policy_command.hpp).
#include "proxy/policy_command.hpp"

#include <iostream>

#include "policy/rules/compile.hpp"
#include "policy/rules/summary.hpp"
#include "proxy/config/decode.hpp"

namespace mxgate {

void add_policy_command(CLI::App& app, PolicyCommand& command) {
    CLI::App* policy = app.add_subcommand("policy", "work with a policy file (issue 12)");
    policy->require_subcommand(1);
    command.check = policy->add_subcommand("check", "compile a policy file: print its errors, or its rules per stage");
    command.check->add_option("file", command.file, "the policy file")->required();
    command.check->add_option("--config", command.config, "a main config whose backends `route:` may name");
}

std::optional<int> run_policy_command(const PolicyCommand& command) {
    if (!command.check || !command.check->parsed()) return std::nullopt;
    std::shared_ptr<const config::Config> config;
    if (!command.config.empty()) {
        config::Diagnostics problems;
        config = config::load_config(command.config, problems);
        if (!config) {
            for (const auto& d : problems) std::cerr << d.str() << '\n';
            return 1;
        }
    }
    const auto result = policy::rules::compile_policy_file(command.file, config::policy_compile_options(config.get()));
    if (!result.policy) {
        for (const auto& d : result.diagnostics) std::cerr << d.str() << '\n';
        return 1;
    }
    policy::rules::print_summary(*result.policy, std::cout);
    return 0;
}

}  // namespace mxgate
