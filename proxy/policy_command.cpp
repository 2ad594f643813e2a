// `mxgate policy check` and `mxgate policy test` (policy_command.hpp).
#include "proxy/policy_command.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

#include "filters/dnsbl/fcrdns.hpp"
#include "filters/registry.hpp"
#include "policy/rules/compile.hpp"
#include "policy/rules/default_rules.hpp"
#include "policy/rules/policy_cases.hpp"
#include "policy/rules/summary.hpp"
#include "policy/rules/test_input.hpp"
#include "policy/rules/walk_report.hpp"
#include "proxy/config/decode.hpp"
#include "proxy/policy_filters.hpp"

namespace mxgate {

namespace {

using policy::rules::CompiledPolicy;
using policy::rules::Transaction;

constexpr int exit_bad_command_line = 2;

// The policy compiled against the registry (and the config's backends), or the
// exit code after its diagnostics.
struct Loaded {
    std::shared_ptr<const CompiledPolicy> file;    // the file's rules alone, as `policy check` lists them
    std::shared_ptr<const CompiledPolicy> policy;  // with the filters' default rules after them
    std::shared_ptr<const config::Config> config;  // null without --config
    bool quarantine_store = true;  // without --config, assume one
    int exit_code = 0;
};

// The only writes to stderr here (test_logging counts them): diagnostics with
// their locations, and what is wrong with the command line (or the config's dns:).
template <class Diagnostics>
void print_all(const Diagnostics& diagnostics) {
    for (const auto& d : diagnostics) std::cerr << d.str() << '\n';
}

bool complain(std::string_view why) {
    std::cerr << "mxgate policy test: " << why << '\n';
    return false;
}

Loaded load(const PolicyCommand& command) {
    Loaded loaded;
    std::shared_ptr<const config::Config>& config = loaded.config;
    if (!command.config.empty()) {
        config::Diagnostics problems;
        config = config::load_config(command.config, problems);
        if (!config) {
            print_all(problems);
            loaded.exit_code = 1;
            return loaded;
        }
        loaded.quarantine_store = config->quarantine.store != config::QuarantineStore::none;
    }
    const auto result = policy::rules::compile_policy_file(command.file, config::policy_compile_options(config.get()));
    print_all(result.diagnostics);
    if (!result.policy) {
        loaded.exit_code = 1;
        return loaded;
    }
    // After the file's rules, the filters' default rules, as a session runs them:
    // the config's filters, or without one every filter with its default settings.
    const auto defaults = config ? filters::default_rules(config->filters) : filters::default_rules_of_every_filter();
    loaded.file = result.policy;
    loaded.policy = policy::rules::with_default_rules(result.policy, defaults);
    return loaded;
}

// A value from the command line through its parser; false after saying what is wrong.
template <class T>
bool take(policy::rules::Parsed<T> parsed, std::string_view option, std::string_view written, T& into) {
    if (!parsed.value) return complain(std::string(option) + " '" + std::string(written) + "': " + parsed.error);
    into = std::move(*parsed.value);
    return true;
}

std::optional<Transaction> transaction_from(const PolicyTestOptions& o) {
    Transaction t;
    if (o.sender.empty() || o.recipients.empty()) {
        complain("--sender and at least one --rcpt are needed (or --cases DIR)");
        return std::nullopt;
    }
    boost::asio::ip::address ip;
    if (!o.client_ip.empty()) {
        if (!take(policy::rules::parse_client_ip(o.client_ip), "--client-ip", o.client_ip, ip)) return std::nullopt;
        t.client_ip = ip;
    }
    if (!o.rdns.empty()) t.findings.push_back(policy::rules::confirmed_rdns(o.rdns));
    t.helo = o.helo;
    if (!o.tls.empty()) {
        if (!take(policy::rules::parse_tls_version(o.tls), "--tls", o.tls, t.tls_version)) return std::nullopt;
        t.tls = true;
    }
    t.trusted = o.trusted;
    if (!take(policy::rules::parse_address(o.sender, true), "--sender", o.sender, t.sender)) return std::nullopt;
    for (const auto& written : o.recipients)
        if (!take(policy::rules::parse_address(written, false), "--rcpt", written, t.recipients.emplace_back()))
            return std::nullopt;
    for (const auto& written : o.findings)
        if (!take(policy::rules::parse_finding(written), "--finding", written, t.findings.emplace_back()))
            return std::nullopt;
    if (!o.message.empty()) {
        policy::rules::MessageFacts facts;
        if (!take(policy::rules::read_message(o.message), "--message", o.message, facts)) return std::nullopt;
        t.has_message = true;
        t.message_size = facts.size;
        t.header_fields = std::move(facts.header_fields);
    }
    return t;
}

policy::rules::Walk walk(const Loaded& loaded, Transaction& transaction) {
    transaction.quarantine_store = loaded.quarantine_store;
    return policy::rules::walk_transaction(*loaded.policy, transaction, &filters::dnsbl::confirmed_name);
}

// Every subfolder of `dir` with its case.yaml, in name order: "PASS name" or
// "FAIL name: why", then the totals. 0 when every case passed.
int run_cases(const Loaded& loaded, const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code error;
    std::vector<fs::path> folders;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
        if (it->is_directory(error)) folders.push_back(it->path());
    if (error) {
        complain("--cases '" + dir + "': " + error.message());
        return exit_bad_command_line;
    }
    std::sort(folders.begin(), folders.end());
    std::size_t failed = 0;
    for (const auto& folder : folders) {
        const std::string name = folder.filename().string();
        auto load = policy::rules::load_case((folder / "case.yaml").string());
        std::optional<std::string> why;
        if (!load.policy_case) {
            print_all(load.diagnostics);
            why = "the case does not load";
        } else {
            const auto walked = walk(loaded, load.policy_case->transaction);
            why = policy::rules::unmet(load.policy_case->expect, walked.verdict);
        }
        if (why) ++failed;
        std::cout << (why ? "FAIL " : "PASS ") << name << (why ? ": " + *why : std::string()) << '\n';
    }
    std::cout << folders.size() << (folders.size() == 1 ? " case: " : " cases: ") << folders.size() - failed
              << " passed, " << failed << " failed\n";
    return failed == 0 && !folders.empty() ? 0 : 1;
}

// What CLI11 is not told to check, so that its own exit codes (100 and up) do not apply.
bool command_line_ok(const PolicyCommand& command) {
    if (!command.test->remaining().empty())
        return complain("unknown argument '" + command.test->remaining().front() + "'");
    if (command.file.empty()) return complain("the policy file is missing: mxgate policy test POLICY [options]");
    if (command.envelope.run_filters && command.config.empty())
        return complain("--run-filters needs --config CONF: the filters, their settings and the resolver are CONF's");
    if (command.cases_option->count() == 0) return true;
    for (const CLI::Option* option : command.envelope_options)
        if (option->count() > 0) return complain("--cases takes the envelope from the cases, not " + option->get_name());
    return true;
}

// --run-filters: the config's filters find what the --finding ones do not give
// (policy_filters.hpp), and the report of what they found is printed. nullopt, or
// the exit code after saying what failed.
std::optional<int> find_by_filters(const PolicyCommand& command, const config::Config& config,
                                   Transaction& transaction) {
    const std::string& path = command.envelope.message;
    // read_message() read it already: only a file that changed since fails here.
    const auto message = path.empty() ? std::nullopt : policy::rules::read_text_file(path);
    if (!path.empty() && !message) {
        complain("--message '" + path + "': cannot read the message file");
        return exit_bad_command_line;
    }
    try {
        FilterRun run = run_filters(config, transaction, message);
        transaction.findings = std::move(run.findings);
        std::cout << run.report;
    } catch (const std::exception& e) {  // the resolver refused the config's dns:
        complain(command.config + ": " + e.what());
        return 1;
    }
    return std::nullopt;
}

int run_test(const PolicyCommand& command) {
    if (!command_line_ok(command)) return exit_bad_command_line;
    const PolicyTestOptions& o = command.envelope;
    std::optional<Transaction> transaction;
    if (o.cases.empty()) {
        transaction = transaction_from(o);
        if (!transaction) return exit_bad_command_line;
    }
    const Loaded loaded = load(command);
    if (!loaded.policy) return loaded.exit_code;
    if (!transaction) return run_cases(loaded, o.cases);
    if (o.run_filters)
        if (const auto failed = find_by_filters(command, *loaded.config, *transaction)) return *failed;
    std::cout << policy::rules::walk_report(walk(loaded, *transaction), *transaction);
    return 0;
}

void add_test_options(CLI::App& test, PolicyCommand& command) {
    PolicyTestOptions& o = command.envelope;
    test.add_option("file", command.file, "the policy file");  // required: checked by run_test, exit 2
    test.add_option("--config", command.config, "a main config: its backends for `route:`, its quarantine");
    CLI::Option* cases = test.add_option("--cases", o.cases, "a folder of cases: DIR/<name>/case.yaml each");
    const std::vector<CLI::Option*> envelope = {
        test.add_option("--client-ip", o.client_ip, "the client address (absent: unknown, as XCLIENT [UNAVAILABLE])"),
        test.add_option("--rdns", o.rdns, "the client's reverse-DNS name, forward-confirmed"),
        test.add_option("--helo", o.helo, "the EHLO name"),
        test.add_option("--tls", o.tls, "the TLS version (1.2, 1.3); absent: no TLS"),
        test.add_flag("--trusted", o.trusted, "the client is in trusted_networks"),
        test.add_option("--sender", o.sender, "MAIL FROM address, \"<>\" for the null sender"),
        test.add_option("--rcpt", o.recipients, "a recipient (repeat for more)"),
        test.add_option("--message", o.message, "an RFC 5322 message file (CRLF or LF)"),
        test.add_option("--finding", o.findings, "NAME=OUTCOME[;attr=value...][@stage] (repeat for more)"),
        test.add_flag("--run-filters", o.run_filters,
                      "run --config's filters (not those that record state); --finding replaces a result"),
    };
    command.envelope_options = envelope;
    command.cases_option = cases;
    // Unknown arguments are reported by run_test, so that a bad command line is exit 2.
    test.allow_extras();
}

}  // namespace

void add_policy_command(CLI::App& app, PolicyCommand& command) {
    CLI::App* policy = app.add_subcommand("policy", "work with a policy file (issue 12)");
    policy->require_subcommand(1);
    command.check = policy->add_subcommand("check", "compile a policy file: print its errors, or its rules per stage");
    command.check->add_option("file", command.file, "the policy file")->required();
    command.check->add_option("--config", command.config, "a main config whose backends `route:` may name");
    command.test = policy->add_subcommand(
        "test", "walk a transaction through a policy, with the findings given or found by the config's filters "
                "(--run-filters), and print the trace; or run a folder of cases");
    add_test_options(*command.test, command);
}

std::optional<int> run_policy_command(const PolicyCommand& command) {
    if (command.test && command.test->parsed()) return run_test(command);
    if (!command.check || !command.check->parsed()) return std::nullopt;
    const Loaded loaded = load(command);
    if (!loaded.policy) return loaded.exit_code;
    policy::rules::print_summary(*loaded.file, std::cout);
    return 0;
}

}  // namespace mxgate
