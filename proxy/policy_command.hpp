// `mxgate policy check FILE [--config mxgate.yaml]`: compiles a policy (and the
// list files it names) and prints every error with its location (exit 1) or the
// rules of each stage (exit 0). `skip:` is checked against the filter registry,
// `route:` against the config's backends when one is given. Wiring for the
// command line only; the compiler is policy/rules/.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace mxgate {

struct PolicyCommand {
    CLI::App* check = nullptr;
    std::string file;
    std::string config;  // --config: also check `route:` against its backends
};

// Adds `policy check FILE` to the command line; CLI11 writes into `command`,
// which must outlive the parse.
void add_policy_command(CLI::App& app, PolicyCommand& command);

// The exit code when a policy subcommand was given, else nullopt.
std::optional<int> run_policy_command(const PolicyCommand& command);

}  // namespace mxgate
