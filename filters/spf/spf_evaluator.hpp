// SpfEvaluator: RFC 7208 check_host() for the MAIL FROM or HELO identity, written
// as coroutines on the shared resolver (filters::dns::Resolver). No thread and no
// blocking call: each evaluation runs on the caller's executor, asks its questions
// through the resolver, runs independent lookups (the addresses of MX and PTR
// names) at once, and ends by its deadline (SpfConfig::timeout) with temperror.
// The record parser (spf_record.hpp) and the macro expander (spf_macro.hpp) are
// pure functions; this file holds the evaluation and its limits.
//
// Limits: RFC 7208 §4.6.4 counted across the whole evaluation, includes and
// redirects too (10 DNS-querying terms, 10 MX names, 10 PTR names with the rest
// ignored, 2 void lookups), plus a hard cap on queries (SpfConfig::max_queries).
// Errors are results (temperror/permerror), never thrown.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

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
    SpfEvaluator(const SpfEvaluator&) = delete;
    SpfEvaluator& operator=(const SpfEvaluator&) = delete;

    // MAIL FROM identity, or HELO when sender is empty (RFC 7208 §2.4), on the
    // caller's executor. Cancelling the caller cancels the query in flight: the
    // evaluation ends at once with temperror.
    boost::asio::awaitable<SpfVerdict> evaluate(SpfRequest request);

    // The same on an io_context of its own, blocking the calling thread (tests,
    // bench); must not be called on an Asio worker.
    SpfVerdict evaluate_blocking(const SpfRequest& request);

    const SpfCounters& counters() const noexcept { return counters_; }
    const SpfConfig& config() const noexcept { return config_; }

private:
    struct Limits {  // which of our limits ended the evaluation
        bool deadline = false, query_cap = false, void_lookups = false;
    };
    void count(const SpfVerdict& verdict, Limits hit);

    dns::Resolver& resolver_;
    SpfConfig config_;
    SpfCounters counters_;
};

}  // namespace mxgate::filters::spf
