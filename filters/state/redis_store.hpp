// RedisStore: the shared state store for a fleet of mxgate nodes behind one
// load balancer. hiredis's synchronous API runs on one dedicated thread owned
// by the store (chosen over the async API for simplicity: socket timeouts
// bound every call, and no hiredis callback ever runs on a worker thread);
// callers co_await and resume on their own executor.
// Never hangs: connect and every command are bounded by `timeout`. After a
// failure the store answers store_error::unavailable at once for
// `reconnect_interval` (so a queue of calls does not each wait a timeout), then
// reconnects on the next call. Keys carry Redis TTLs, so Redis expires them.
// Report streams are one list per stream and UTC day ("rp:<stream>:<day start>"),
// each element "<recorded_at> <expires_at> <row>", the list's TTL its newest row's.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "filters/state/store.hpp"

struct redisContext;
struct redisReply;

namespace mxgate::filters::state {

class RedisStore final : public Store {
public:
    RedisStore(const RedisConfig& config, std::string key_prefix);
    ~RedisStore() override;
    RedisStore(const RedisStore&) = delete;
    RedisStore& operator=(const RedisStore&) = delete;

    std::string_view backend_name() const noexcept override { return "redis"; }
    boost::asio::awaitable<StoreResult<Versioned>> greylist_get(std::string key, TimePoint now) override;
    boost::asio::awaitable<StoreResult<bool>> greylist_put(std::string key, GreylistRecord record,
                                                           std::uint64_t expected_version, TimePoint now) override;
    boost::asio::awaitable<StoreResult<std::uint64_t>> increment(std::string key, Seconds window,
                                                                 TimePoint now) override;
    boost::asio::awaitable<StoreResult<std::uint64_t>> expire(TimePoint now) override;
    boost::asio::awaitable<StoreResult<void>> set_mark(std::string key, TimePoint expires_at, TimePoint now) override;
    boost::asio::awaitable<StoreResult<bool>> has_mark(std::string key, TimePoint now) override;

    boost::asio::awaitable<StoreResult<void>> report_append(std::string stream, std::string row, TimePoint now,
                                                            TimePoint expires_at) override;
    boost::asio::awaitable<StoreResult<std::vector<ReportRow>>> report_rows(std::string stream, TimePoint since,
                                                                            TimePoint until, TimePoint now) override;

private:
    struct ReplyDeleter {
        void operator()(redisReply* r) const;
    };
    using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

    // The following run on thread_ only.
    StoreResult<Reply> command(const std::vector<std::string>& argv);
    bool connect();
    void drop(const char* what);
    Reply send(const std::vector<std::string>& argv);
    StoreResult<Versioned> do_get(const std::string& key, TimePoint now);
    StoreResult<bool> do_put(const std::string& key, const GreylistRecord& record, std::uint64_t expected,
                             TimePoint now);
    StoreResult<std::uint64_t> do_increment(const std::string& key, Seconds window, TimePoint now);
    StoreResult<void> do_set_mark(const std::string& key, TimePoint expires_at, TimePoint now);
    StoreResult<bool> do_has_mark(const std::string& key, TimePoint now);
    StoreResult<void> do_report_append(const std::string& stream, const std::string& row, TimePoint now,
                                       TimePoint expires_at);
    StoreResult<std::vector<ReportRow>> do_report_rows(const std::string& stream, TimePoint since, TimePoint until,
                                                       TimePoint now);

    RedisConfig config_;
    std::string prefix_;
    redisContext* ctx_ = nullptr;
    std::chrono::steady_clock::time_point down_until_{};
    boost::system::error_code last_error_;  // what fail-fast calls report while down
    boost::asio::thread_pool thread_{1};    // the only thread that touches ctx_
};

}  // namespace mxgate::filters::state
