// UnboundResolver: the process-wide Resolver, libunbound behind the Resolver seam.
// One ub_ctx, owned by one resolver thread with its own io_context: that thread
// watches ub_fd() with Asio, calls ub_process(), starts and cancels queries and
// enforces each query's deadline. Workers only post to it and get their answer
// posted back to their own executor, so no DNS wait ever blocks a worker thread.
// Errors are Status values (libunbound errors: servfail plus a log line); only
// create() reports problems, as messages, for bad settings at startup.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "filters/dns/answer_cache.hpp"
#include "filters/dns/dns_config.hpp"
#include "filters/dns/resolver.hpp"

struct ub_ctx;
struct ub_result;

namespace mxgate::filters::dns {

struct DnsCounters {  // mxgate_dns_<name>_total
    std::atomic<std::uint64_t> queries{0},  // asked of libunbound (front-cache misses)
        cache_hits{0}, ok{0}, nxdomain{0}, nodata{0}, servfail{0}, timeout{0},
        cancelled{0},          // by the caller (counted in timeout too)
        libunbound_errors{0},  // counted in servfail too
        malformed_rdata{0};    // records dropped
};

class UnboundResolver final : public Resolver {
public:
    struct Created {
        std::unique_ptr<UnboundResolver> resolver;  // null when errors is not empty
        std::vector<std::string> errors;            // "dns.servers: 1.2.3: syntax error"
    };
    // Builds the context and starts the resolver thread. Must outlive every query.
    static Created create(const DnsConfig& config);

    ~UnboundResolver() override;  // pending queries complete with Status::servfail
    UnboundResolver(const UnboundResolver&) = delete;
    UnboundResolver& operator=(const UnboundResolver&) = delete;

    boost::asio::awaitable<Answer> query(std::string name, RecordType type) override;
    void report(MetricSink& sink) const override;

    // Type-erased completion of one query: posts the answer to the caller's executor.
    struct Completion {
        virtual ~Completion() = default;
        virtual void complete(Answer answer) = 0;
    };
    // Called from any thread: hands a query to the resolver thread.
    void submit(std::uint64_t serial, std::string name, RecordType type, std::unique_ptr<Completion> completion);
    // Called from any thread: finishes a query early with Status::timeout.
    void cancel(std::uint64_t serial);
    const DnsCounters& counters() const noexcept { return counters_; }
    std::uint64_t next_serial() { return next_serial_.fetch_add(1, std::memory_order_relaxed); }

private:
    struct Pending;
    UnboundResolver(ub_ctx* ctx, const DnsConfig& config);

    // Everything below runs on the resolver thread only.
    void start(std::uint64_t serial, std::string name, RecordType type, std::unique_ptr<Completion> completion);
    void finish(std::uint64_t serial, Answer answer, bool cancel_in_unbound);
    void watch_fd();
    static void on_result(void* cookie, int err, ub_result* result);

    ub_ctx* ctx_;
    DnsCounters counters_;
    std::chrono::milliseconds timeout_;
    AnswerCache cache_;  // read by worker threads, filled by the resolver thread
    boost::asio::io_context io_;
    boost::asio::posix::stream_descriptor fd_;
    std::unordered_map<std::uint64_t, std::unique_ptr<Pending>> pending_;
    std::atomic<std::uint64_t> next_serial_{1};
    std::thread thread_;
};

}  // namespace mxgate::filters::dns
