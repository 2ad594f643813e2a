// Micro-benchmark (not a test): rule evaluations per second on one thread, for a
// generated policy of 1,000 rules on client IPs and sender domains (issue 12
// asks for at least 1 million per core). Every rule only scores, so each
// evaluation runs all the rules of its stage; the facts match none of them, the
// usual case. Prints one line of key=value: evaluations per second of wall time
// and per second of the process's CPU time.
//
//   policy_eval_bench [RULES] [SECONDS]     (defaults: 1000 rules, 3 seconds)
//
// Exits 1 when the generated policy does not compile.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "policy/rules/compile.hpp"
#include "policy/rules/evaluate.hpp"
#include "cpu_seconds.hpp"  // beside this file

namespace {

using namespace mxgate::policy::rules;
using Clock = std::chrono::steady_clock;

using mxgate::bench::cpu_seconds;

// Half the rules on a client network (a /24, some with a second network and a
// v6 prefix), half on sender domains (exact, parent and glob forms).
std::string generated_policy(int rules) {
    std::string yaml = "rules:\n";
    for (int i = 0; i < rules; ++i) {
        yaml += "  - name: rule-" + std::to_string(i) + "\n    when: {";
        if (i % 2 == 0) {
            const int n = i / 2;
            yaml += "client_ip: [10." + std::to_string(n / 256) + "." + std::to_string(n % 256) + ".0/24";
            if (n % 3 == 0) yaml += ", 2001:db8:" + std::to_string(n) + "::/48";
            yaml += "]";
        } else {
            const std::string domain = "sender" + std::to_string(i) + ".example";
            yaml += i % 5 == 1 ? "sender: \"*@*." + domain + "\"" : "sender: [" + domain + ", ." + domain + "]";
        }
        yaml += "}\n    then: {score: 1}\n";
    }
    return yaml;
}

}  // namespace

int main(int argc, char** argv) {
    const int rules = argc > 1 ? std::atoi(argv[1]) : 1000;
    const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
    const auto compiled = compile_policy(generated_policy(rules), "generated.yaml", ".");
    if (!compiled.policy) {
        for (const auto& d : compiled.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
        return 1;
    }
    Facts facts;
    facts.client_ip = boost::asio::ip::make_address("192.0.2.1");
    facts.sender = mxgate::core::Address{"someone", "elsewhere.example", false};

    std::uint64_t evaluations = 0, matched = 0;
    const double cpu_start = cpu_seconds();
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    do {
        for (int i = 0; i < 100; ++i) {
            const Decision connect = evaluate(*compiled.policy, mxgate::core::Stage::connect, facts);
            const Decision mail_from = evaluate(*compiled.policy, mxgate::core::Stage::mail_from, facts);
            evaluations += connect.rules_evaluated + mail_from.rules_evaluated;
            matched += static_cast<std::uint64_t>(connect.score + mail_from.score);
        }
    } while (Clock::now() < end);
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = cpu_seconds() - cpu_start;
    std::printf(
        "rules=%d rule_evaluations=%llu matched=%llu wall_s=%.2f evaluations_per_s=%.0f "
        "evaluations_per_cpu_s=%.0f\n",
        rules, static_cast<unsigned long long>(evaluations), static_cast<unsigned long long>(matched), wall,
        evaluations / wall, evaluations / cpu);
    return 0;
}
