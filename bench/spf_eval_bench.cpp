// Micro-benchmark (not a test): cached SPF evaluations per second on one thread.
// One io_context on the main thread runs evaluations of one sender back to back
// through the real UnboundResolver, pointed at a DNS server (bench/run.sh's nsd),
// after a warm-up that fills the resolver's caches; so the figure is the
// evaluator's own cost plus cache reads, not DNS latency. Prints one line of
// key=value: evaluations per second of wall time and per second of the process's
// CPU time (all threads).
//
//   spf_eval_bench DNS_SERVER SENDER CLIENT_IP [SECONDS]
//   spf_eval_bench 127.0.0.1@5353 bar@bench.test 127.0.0.1 3
//
// Exits 1 when the resolver cannot be set up or the evaluation does not pass
// (a bench over temperrors would measure nothing worth having).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "filters/dns/unbound_resolver.hpp"
#include "filters/spf/spf_evaluator.hpp"
#include "cpu_seconds.hpp"  // beside this file

namespace {

namespace asio = boost::asio;
using namespace mxgate::filters;
using Clock = std::chrono::steady_clock;

using mxgate::bench::cpu_seconds;

struct Outcome {
    std::uint64_t evaluations = 0;
    spf::SpfVerdict last;
};

asio::awaitable<Outcome> evaluate_for(spf::SpfEvaluator& evaluator, spf::SpfRequest request, Clock::duration length) {
    Outcome outcome;
    const auto end = Clock::now() + length;
    do {
        outcome.last = co_await evaluator.evaluate(request);
        ++outcome.evaluations;
    } while (Clock::now() < end);
    co_return outcome;
}

// Runs the loop to completion on `io` (this thread only).
Outcome run(asio::io_context& io, spf::SpfEvaluator& evaluator, const spf::SpfRequest& request,
            Clock::duration length) {
    Outcome outcome;
    asio::co_spawn(io, evaluate_for(evaluator, request, length), [&](std::exception_ptr error, Outcome result) {
        if (error) std::rethrow_exception(error);
        outcome = std::move(result);
    });
    io.restart();
    io.run();
    return outcome;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: %s DNS_SERVER SENDER CLIENT_IP [SECONDS]\n", argv[0]);
        return 2;
    }
    const std::string sender = argv[2];
    const auto at = sender.rfind('@');
    if (at == std::string::npos) {
        std::fprintf(stderr, "%s: SENDER must be local@domain\n", argv[0]);
        return 2;
    }
    const double seconds = argc == 5 ? std::atof(argv[4]) : 3.0;

    dns::DnsConfig dns_config;
    dns_config.servers = {argv[1]};
    dns_config.transparent_local_zones = {"test"};  // bench zones live under test.
    auto created = dns::UnboundResolver::create(dns_config);
    if (!created.resolver) {
        for (const auto& error : created.errors) std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    spf::SpfConfig spf_config;
    spf_config.enabled = true;
    spf_config.receiver = "mx.bench.test";
    spf::SpfEvaluator evaluator(*created.resolver, spf_config);

    spf::SpfRequest request;
    request.client_address = asio::ip::make_address(argv[3]);
    request.helo = "client.bench.test";
    request.sender = {sender.substr(0, at), sender.substr(at + 1)};
    request.session_id = "bench";

    asio::io_context io;
    const Outcome warm = run(io, evaluator, request, std::chrono::milliseconds(200));
    if (warm.last.result != spf::SpfResult::pass) {
        std::fprintf(stderr, "%s: SPF of %s from %s is %s, not pass (%s)\n", argv[0], sender.c_str(), argv[3],
                     std::string(spf::to_string(warm.last.result)).c_str(), warm.last.problem.c_str());
        return 1;
    }
    const auto& dns_counters = created.resolver->counters();
    const std::uint64_t asked_before = dns_counters.queries, hits_before = dns_counters.cache_hits;
    const double cpu_before = cpu_seconds();
    const auto start = Clock::now();
    const Outcome timed = run(io, evaluator, request, std::chrono::duration_cast<Clock::duration>(
                                                          std::chrono::duration<double>(seconds)));
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = cpu_seconds() - cpu_before;
    // Questions that missed the resolver's front cache went to libunbound (another thread).
    std::printf("spf_eval evaluations=%llu seconds=%.2f result=%s dns_queries=%d cache_hits=%llu "
                "unbound_queries=%llu per_second=%.0f per_cpu_second=%.0f cpu_us_each=%.1f\n",
                static_cast<unsigned long long>(timed.evaluations), wall,
                std::string(spf::to_string(timed.last.result)).c_str(), timed.last.dns_queries,
                static_cast<unsigned long long>(dns_counters.cache_hits - hits_before),
                static_cast<unsigned long long>(dns_counters.queries - asked_before),
                timed.evaluations / wall, cpu > 0 ? timed.evaluations / cpu : 0.0,
                timed.evaluations > 0 ? cpu * 1e6 / timed.evaluations : 0.0);
    return timed.last.result == spf::SpfResult::pass ? 0 : 1;
}
