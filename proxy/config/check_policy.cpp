// compile_policy(): the policy file a config names (policy.file) compiled at load,
// so a policy that does not compile refuses the config exactly as a bad key
// does: at start, in --check-config, and on reload. The policy's diagnostics keep
// their own file:line:column; the file is named as the config's folder was written
// ("conf/policy.yaml"), like the config file itself in its diagnostics.
#include <filesystem>

#include "filters/registry.hpp"
#include "policy/rules/compile.hpp"
#include "proxy/config/decode_support.hpp"

namespace mxgate::config {

policy::rules::CompileOptions policy_compile_options(const Config* config) {
    policy::rules::CompileOptions options;
    for (const auto& row : filters::registry()) options.known_filters.emplace_back(row.filter.key);
    if (config)
        for (const auto& [name, backend] : config->backends) options.known_backends.push_back(name);
    return options;
}

namespace detail {

void compile_policy(Config& config, Reporter& reporter) {
    Policy& policy = config.policy;
    if (policy.file.empty() || !check_readable(policy.file).empty()) return;  // unreadable: check_file said so
    const std::string written = reporter.written("policy.file");
    const std::string config_folder = std::filesystem::path(config.source).parent_path().string();
    const std::string shown = resolve_path(config_folder, written.empty() ? policy.file : written);
    auto result = policy::rules::compile_policy_file(shown, policy_compile_options(&config));
    for (auto& diagnostic : result.diagnostics) reporter.add(std::move(diagnostic));
    if (!result.policy) return;
    // Stamped after reading: an edit within the moment between is seen at the next edit or SIGHUP.
    policy.stamps = core::stamp_files(result.policy->sources);
    policy.compiled = std::move(result.policy);
}

}  // namespace detail

}  // namespace mxgate::config
