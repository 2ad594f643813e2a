// An in-memory state::Store for filter tests: the same rules as the real stores
// (expires_at <= now is absent, compare-and-set by version, fixed windows) and
// a switch that makes every call fail as `unavailable`, to test fail-open/closed.
// The real stores are held to these rules by tests/unit/filters/state/.
#pragma once

#include <map>
#include <vector>

#include "filters/state/store.hpp"

namespace mxgate::test {

class MemoryStore final : public filters::state::Store {
public:
    bool available = true;
    std::size_t calls = 0;

    std::string_view backend_name() const noexcept override { return "memory"; }

    boost::asio::awaitable<filters::state::StoreResult<filters::state::Versioned>> greylist_get(
        std::string key, filters::state::TimePoint now) override {
        ++calls;
        if (!available) co_return filters::state::store_error::unavailable;
        filters::state::Versioned out;
        if (auto it = records_.find(key); it != records_.end()) {
            out.version = it->second.second;
            if (it->second.first.expires_at > now) out.record = it->second.first;
        }
        co_return out;
    }
    boost::asio::awaitable<filters::state::StoreResult<bool>> greylist_put(
        std::string key, filters::state::GreylistRecord record, std::uint64_t expected,
        filters::state::TimePoint) override {
        ++calls;
        if (!available)
            co_return filters::state::StoreResult<bool>(boost::system::in_place_error,
                                                        filters::state::store_error::unavailable);
        auto it = records_.find(key);
        const std::uint64_t current = it == records_.end() ? 0 : it->second.second;
        if (current != expected) co_return false;
        records_[key] = {record, expected + 1};
        co_return true;
    }
    boost::asio::awaitable<filters::state::StoreResult<std::uint64_t>> increment(
        std::string key, filters::state::Seconds window, filters::state::TimePoint now) override {
        ++calls;
        if (!available) co_return filters::state::store_error::unavailable;
        const auto start = filters::state::window_start(now, window);
        co_return ++counters_[key + ":" + std::to_string(start.time_since_epoch().count())];
    }
    boost::asio::awaitable<filters::state::StoreResult<std::uint64_t>> expire(filters::state::TimePoint now) override {
        std::uint64_t n = 0;
        for (auto it = records_.begin(); it != records_.end();)
            if (it->second.first.expires_at <= now) {
                it = records_.erase(it);
                ++n;
            } else {
                ++it;
            }
        co_return n;
    }
    boost::asio::awaitable<filters::state::StoreResult<void>> set_mark(std::string key,
                                                                      filters::state::TimePoint expires_at,
                                                                      filters::state::TimePoint) override {
        ++calls;
        if (!available) co_return filters::state::store_error::unavailable;
        marks_[key] = expires_at;
        co_return filters::state::StoreResult<void>{};
    }
    boost::asio::awaitable<filters::state::StoreResult<bool>> has_mark(std::string key,
                                                                      filters::state::TimePoint now) override {
        ++calls;
        if (!available)
            co_return filters::state::StoreResult<bool>(boost::system::in_place_error,
                                                        filters::state::store_error::unavailable);
        auto it = marks_.find(key);
        co_return it != marks_.end() && it->second > now;
    }
    std::size_t size() const { return records_.size(); }

    boost::asio::awaitable<filters::state::StoreResult<void>> report_append(
        std::string stream, std::string row, filters::state::TimePoint now,
        filters::state::TimePoint expires_at) override {
        ++calls;
        if (!available) co_return filters::state::store_error::unavailable;
        reports_.push_back({std::move(stream), {now, std::move(row)}, expires_at});
        co_return filters::state::StoreResult<void>{};
    }
    boost::asio::awaitable<filters::state::StoreResult<std::vector<filters::state::ReportRow>>> report_rows(
        std::string stream, filters::state::TimePoint since, filters::state::TimePoint until,
        filters::state::TimePoint now) override {
        ++calls;
        if (!available) co_return filters::state::store_error::unavailable;
        std::vector<filters::state::ReportRow> out;
        for (const auto& r : reports_)
            if (r.stream == stream && r.row.recorded_at >= since && r.row.recorded_at < until && r.expires_at > now)
                out.push_back(r.row);
        co_return out;
    }

private:
    struct Report {
        std::string stream;
        filters::state::ReportRow row;
        filters::state::TimePoint expires_at;
    };
    std::vector<Report> reports_;
    std::map<std::string, std::pair<filters::state::GreylistRecord, std::uint64_t>> records_;
    std::map<std::string, std::uint64_t> counters_;
    std::map<std::string, filters::state::TimePoint> marks_;
};

}  // namespace mxgate::test
