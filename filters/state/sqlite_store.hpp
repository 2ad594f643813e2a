// SqliteStore: the embedded state store. One SQLite file in WAL mode, so state
// survives restarts and readers never wait for the writer. Every SQLite call
// runs on one dedicated thread owned by the store (SQLite is synchronous and
// may wait on disk or on busy_timeout); callers co_await and resume on their
// own executor. All statements are prepared once. An SQLite error is logged and
// returned as store_error::unavailable; the file is never left half-written
// because each call is one statement or one transaction.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "filters/state/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mxgate::filters::state {

class SqliteStore final : public Store {
public:
    // Opens or creates the file and its tables; throws std::runtime_error if
    // the file cannot be opened (a startup error, not a per-call one).
    SqliteStore(const SqliteConfig& config, std::string key_prefix);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    std::string_view backend_name() const noexcept override { return "sqlite"; }
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
    struct Statements;
    StoreResult<Versioned> do_get(const std::string& key, TimePoint now);
    StoreResult<bool> do_put(const std::string& key, const GreylistRecord& record, std::uint64_t expected);
    StoreResult<std::uint64_t> do_increment(const std::string& key, Seconds window, TimePoint now);
    StoreResult<std::uint64_t> do_expire(TimePoint now);
    StoreResult<void> do_set_mark(const std::string& key, TimePoint expires_at);
    StoreResult<bool> do_has_mark(const std::string& key, TimePoint now);
    StoreResult<void> do_report_append(const std::string& stream, const std::string& row, TimePoint now,
                                       TimePoint expires_at);
    StoreResult<std::vector<ReportRow>> do_report_rows(const std::string& stream, TimePoint since, TimePoint until,
                                                       TimePoint now);
    boost::system::error_code fail(const char* what, int rc);

    std::string path_;
    std::string prefix_;
    sqlite3* db_ = nullptr;
    std::unique_ptr<Statements> stmts_;
    boost::asio::thread_pool thread_{1};  // the only thread that touches db_
};

}  // namespace mxgate::filters::state
