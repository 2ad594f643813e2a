// `mxgate policy check FILE [--config mxgate.yaml]`: compiles a policy (and the
// list files it names) and prints every error with its location (exit 1) or the
// rules of each stage (exit 0). `skip:` is checked against the filter registry,
// `route:` against the config's backends when one is given.
// `mxgate policy test FILE [envelope options | --cases DIR]`: walks a transaction
// offline through the policy with the findings given (policy/rules/walk.hpp) and
// prints the trace (exit 0), or runs a folder of cases (exit 0 when all pass, 1
// when not); 1 when the policy does not compile, 2 for a bad command line. With
// --run-filters the findings come from the config's filters too (policy_filters.hpp).
// Wiring for the command line only; the compiler and the walk are policy/rules/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mxgate {

// What `policy test` is told about the transaction, as written.
struct PolicyTestOptions {
    std::string client_ip, rdns, helo, tls, sender, message, cases;
    bool trusted = false;
    bool run_filters = false;  // run the --config's filters (needs --config)
    std::vector<std::string> recipients, findings;
};

struct PolicyCommand {
    CLI::App* check = nullptr;
    CLI::App* test = nullptr;
    std::string file;
    std::string config;  // --config: `route:` against its backends; its filters with --run-filters
    PolicyTestOptions envelope;
    CLI::Option* cases_option = nullptr;
    std::vector<CLI::Option*> envelope_options;  // not with --cases
};

// Adds `policy check FILE` and `policy test FILE` to the command line; CLI11
// writes into `command`, which must outlive the parse.
void add_policy_command(CLI::App& app, PolicyCommand& command);

// The exit code when a policy subcommand was given, else nullopt.
std::optional<int> run_policy_command(const PolicyCommand& command);

}  // namespace mxgate
