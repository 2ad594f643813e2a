// SpfEvaluator: RFC 7208 checks with libspf2, whose DNS goes through OUR resolver
// (filters::dns::Resolver) via a custom SPF_dns_server_t layer (spf_evaluator.cpp).
//
// Threads ("run off the Asio threads"): libspf2 calls DNS synchronously, so every
// evaluation runs on a small thread pool owned by the evaluator. A lookup there
// blocks on a future while the query itself is co_spawned on the evaluator's own
// DNS thread (an io_context that never blocks), and the resolver answers on that
// thread. Asio worker threads never wait: evaluate() suspends the caller and
// resumes it on its own executor with the result. We chose this over making
// libspf2 restartable (re-running it with an answer cache) because it keeps
// libspf2 unmodified and each query is asked once.
//
// Limits: RFC 7208 §4.6.4 (10 DNS terms, 10 MX/PTR names) are libspf2's counters,
// set from SpfConfig; the bridge adds the void-lookup limit, a hard query cap and
// the evaluation deadline. Errors are results (temperror/permerror), never thrown.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>

#include "filters/dns/resolver.hpp"
#include "filters/spf/spf_config.hpp"
#include "proxy/core/address.hpp"

namespace mxgate::filters::spf {

enum class SpfResult : std::uint8_t { pass, fail, softfail, neutral, none, temperror, permerror };
std::string_view to_string(SpfResult result);

enum class Identity : std::uint8_t { mailfrom, helo };
std::string_view to_string(Identity identity);

struct SpfRequest {
    boost::asio::ip::address client_address;
    std::string helo;    // as given by the client (may be an address literal)
    core::Address sender;  // MAIL FROM; empty() = null reverse-path -> HELO identity
    std::string session_id;  // for log lines only
};

struct SpfVerdict {
    SpfResult result = SpfResult::none;
    Identity identity = Identity::mailfrom;
    std::string domain;       // the domain checked (sender's domain or HELO name)
    std::string sender;       // the checked identity as a mailbox: x@y or postmaster@helo
    std::string explanation;  // exp= text on fail, else empty; peer text (escape before logging)
    std::string problem;      // why temperror/permerror (for logs), else empty
    int dns_queries = 0;
};

struct SpfCounters {  // mxgate_spf_<name>_total
    std::atomic<std::uint64_t> evaluations{0}, pass{0}, fail{0}, softfail{0}, neutral{0}, none{0}, temperror{0},
        permerror{0}, dns_queries{0}, deadline_exceeded{0}, query_cap{0}, void_limit{0};
};

class SpfEvaluator {
public:
    // `resolver` must outlive the evaluator. `config.receiver` must be set (the
    // filter fills in the hostname when the config leaves it empty).
    SpfEvaluator(dns::Resolver& resolver, SpfConfig config);
    ~SpfEvaluator();  // waits for running evaluations (each bounded by config.timeout)
    SpfEvaluator(const SpfEvaluator&) = delete;
    SpfEvaluator& operator=(const SpfEvaluator&) = delete;

    // MAIL FROM identity, or HELO when sender is empty (RFC 7208 §2.4). Completes
    // on the caller's executor. Cancelling the caller makes the running evaluation
    // end at its next DNS step with temperror.
    boost::asio::awaitable<SpfVerdict> evaluate(SpfRequest request);

    // The same, blocking the calling thread; must not be called on an Asio worker.
    SpfVerdict evaluate_blocking(const SpfRequest& request);

    const SpfCounters& counters() const noexcept { return counters_; }
    const SpfConfig& config() const noexcept { return config_; }

    struct Evaluation;  // per-check state shared with the DNS bridge (spf_evaluator.cpp)

private:
    friend struct SpfBridge;
    // One blocking query for libspf2; nullopt: not asked (deadline, cancel, cap).
    std::optional<dns::Answer> ask(Evaluation& state, const char* domain, dns::RecordType type);
    SpfVerdict run(const SpfRequest& request, Evaluation& state);
    void count(const SpfVerdict& verdict);

    dns::Resolver& resolver_;
    SpfConfig config_;
    SpfCounters counters_;
    boost::asio::io_context dns_io_;  // where queries are spawned and answered
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> dns_work_;
    std::thread dns_thread_;
    boost::asio::thread_pool pool_;   // where libspf2 runs (and blocks)
};

}  // namespace mxgate::filters::spf
