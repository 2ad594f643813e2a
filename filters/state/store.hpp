// The state store shared by greylisting and rate limits: small records with a
// time to live, and fixed-window counters. Two implementations with the same
// observable behaviour (tests/unit/filters/state/store_conformance_test.cpp):
// SqliteStore (one WAL file, the embedded default) and RedisStore (a fleet).
// Every call is a coroutine that never blocks the caller's thread; it completes
// on the caller's executor. A store that cannot answer (Redis gone, SQLite
// error, timeout) returns store_error::unavailable as a value, never throws for
// it and never hangs: the caller decides whether to fail open or closed.
//
// Time is always passed in (`now`), so callers can use an injectable clock and
// both stores expire records by the same rule: a record whose expires_at <= now
// is absent. The backends also drop old data on their own (Redis key TTLs,
// SQLite expire()).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "filters/state/state_config.hpp"

namespace mxgate::filters::state {

using Seconds = std::chrono::seconds;
using TimePoint = std::chrono::sys_seconds;

enum class store_error { unavailable = 1, timeout };
const boost::system::error_category& store_category() noexcept;
inline boost::system::error_code make_error_code(store_error e) noexcept {
    return {static_cast<int>(e), store_category()};
}

template <class T>
using StoreResult = boost::system::result<T>;

// One greylist triplet, or one auto-allow entry (network + sender domain).
struct GreylistRecord {
    TimePoint first_seen{};       // first attempt of the current greylisting round
    TimePoint last_seen{};        // last attempt (deferred or passed)
    std::uint32_t pass_count = 0; // passed deliveries; 0 = still greylisted
    TimePoint expires_at{};       // absent from `expires_at` on
    bool operator==(const GreylistRecord&) const = default;
};

// What greylist_get found: `record` is empty when there is none or it has
// expired; `version` is what a following greylist_put must name (0 = nothing
// stored). Together they make a compare-and-set, so two nodes (or two
// sessions) deciding on the same key cannot overwrite each other unseen.
struct Versioned {
    std::optional<GreylistRecord> record;
    std::uint64_t version = 0;
};

// One row of a report stream (report_append), as report_rows() gives it back.
struct ReportRow {
    TimePoint recorded_at{};
    std::string row;
    bool operator==(const ReportRow&) const = default;
};

class Store {
public:
    virtual ~Store() = default;
    virtual std::string_view backend_name() const noexcept = 0;

    virtual boost::asio::awaitable<StoreResult<Versioned>> greylist_get(std::string key, TimePoint now) = 0;
    // Stores `record` if the key's version is still `expected_version`; returns
    // false (not an error) when someone else changed it first: read again and
    // redecide. The entry lives until record.expires_at (must be > now).
    virtual boost::asio::awaitable<StoreResult<bool>> greylist_put(std::string key, GreylistRecord record,
                                                                   std::uint64_t expected_version, TimePoint now) = 0;
    // Counts one event in the fixed window [floor(now / window) * window, + window)
    // and returns the count in that window including this one (atomic).
    virtual boost::asio::awaitable<StoreResult<std::uint64_t>> increment(std::string key, Seconds window,
                                                                         TimePoint now) = 0;
    // Housekeeping: deletes what has expired by `now`; returns how many entries
    // went. Redis expires keys itself, so there it returns 0.
    virtual boost::asio::awaitable<StoreResult<std::uint64_t>> expire(TimePoint now) = 0;

    // Marks: a key that is set or not, until expires_at (the LMTP delivery memory,
    // docs/architecture.md). Setting it again moves its expiry; a mark whose
    // expires_at <= now is not set, as a record is absent.
    virtual boost::asio::awaitable<StoreResult<void>> set_mark(std::string key, TimePoint expires_at,
                                                               TimePoint now) = 0;
    virtual boost::asio::awaitable<StoreResult<bool>> has_mark(std::string key, TimePoint now) = 0;
    // Report streams (DMARC aggregate-report rows, issue 11 item 8): rows appended
    // as messages are evaluated, read back by the report sender. A row is opaque
    // text, recorded at `now`, absent from `expires_at` on (must be > now).
    virtual boost::asio::awaitable<StoreResult<void>> report_append(std::string stream, std::string row,
                                                                    TimePoint now, TimePoint expires_at) = 0;
    // The rows of `stream` recorded in [since, until) and not expired by `now`, in
    // the order they were appended.
    virtual boost::asio::awaitable<StoreResult<std::vector<ReportRow>>> report_rows(std::string stream,
                                                                                    TimePoint since, TimePoint until,
                                                                                    TimePoint now) = 0;
};

// Builds the configured backend. SQLite: opens (creates) the file now and
// throws std::runtime_error if it cannot, so a bad path is a startup error.
// Redis: connects lazily; an absent server is `unavailable`, not a startup error.
std::unique_ptr<Store> make_store(const StateConfig& config);

// The wall clock as the store counts it: whole seconds since the epoch.
inline TimePoint system_now() { return std::chrono::floor<Seconds>(std::chrono::system_clock::now()); }

// Start of the fixed window containing `now` (shared by both backends).
inline TimePoint window_start(TimePoint now, Seconds window) {
    const auto w = window.count() > 0 ? window.count() : 1;
    return TimePoint(Seconds(now.time_since_epoch().count() / w * w));
}

}  // namespace mxgate::filters::state

template <>
struct boost::system::is_error_code_enum<mxgate::filters::state::store_error> : std::true_type {};
