// One conformance suite for every state Store backend: each binary instantiates
// it for the backends it can run (unit_tests: SqliteStore on a temp file;
// integration_native_tests: RedisStore against a real redis-server), so both
// must behave the same. Include from one file per binary only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "filters/state/store.hpp"
#include "tests/unit/filters/state/test_support.hpp"

namespace mxgate::test::store_conformance {

namespace asio = boost::asio;
namespace state = mxgate::filters::state;
using namespace std::chrono_literals;
using mxgate::test::run_sync;
using state::GreylistRecord;
using state::TimePoint;

inline const TimePoint t0{std::chrono::seconds(1'800'000'000)};  // aligned to the minute

inline std::string unique_prefix() {
    static std::atomic<int> n{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string("t") + std::to_string(::getpid()) + ":" + info->name() + ":" + std::to_string(++n) + ":";
}

// Backend: make(prefix) -> unique_ptr<Store>, and static suite_setup()/suite_teardown().
template <class Backend>
class StoreConformance : public ::testing::Test {
protected:
    static void SetUpTestSuite() { Backend::suite_setup(); }
    static void TearDownTestSuite() { Backend::suite_teardown(); }
    void SetUp() override { store_ = backend_.make(prefix_); }

    state::Versioned get(const std::string& key, TimePoint now) {
        auto r = run_sync(io_, store_->greylist_get(key, now));
        EXPECT_TRUE(r.has_value()) << r.error().message();
        return r ? *r : state::Versioned{};
    }
    bool put(const std::string& key, GreylistRecord rec, std::uint64_t version, TimePoint now) {
        auto r = run_sync(io_, store_->greylist_put(key, rec, version, now));
        EXPECT_TRUE(r.has_value()) << r.error().message();
        return r && *r;
    }
    std::uint64_t incr(const std::string& key, TimePoint now, std::chrono::seconds window = 60s) {
        auto r = run_sync(io_, store_->increment(key, window, now));
        EXPECT_TRUE(r.has_value()) << r.error().message();
        return r ? *r : 0;
    }

    void append(const std::string& stream, const std::string& row, TimePoint now, TimePoint expires_at) {
        auto r = run_sync(io_, store_->report_append(stream, row, now, expires_at));
        EXPECT_TRUE(r.has_value()) << r.error().message();
    }
    std::vector<state::ReportRow> rows(const std::string& stream, TimePoint since, TimePoint until, TimePoint now) {
        auto r = run_sync(io_, store_->report_rows(stream, since, until, now));
        EXPECT_TRUE(r.has_value()) << r.error().message();
        return r ? *r : std::vector<state::ReportRow>{};
    }

    asio::io_context io_;
    Backend backend_;
    std::string prefix_ = unique_prefix();
    std::unique_ptr<state::Store> store_;
};

TYPED_TEST_SUITE_P(StoreConformance);

TYPED_TEST_P(StoreConformance, MissingKeyHasNoRecordAndVersionZero) {
    auto v = this->get("gl:nothing", t0);
    EXPECT_FALSE(v.record);
    EXPECT_EQ(v.version, 0u);
}

TYPED_TEST_P(StoreConformance, PutThenGetRoundTrips) {
    const GreylistRecord rec{t0, t0 + 10s, 3, t0 + 24h};
    ASSERT_TRUE(this->put("gl:a", rec, 0, t0));
    auto v = this->get("gl:a", t0 + 1s);
    ASSERT_TRUE(v.record);
    EXPECT_EQ(*v.record, rec);
    EXPECT_NE(v.version, 0u);
}

TYPED_TEST_P(StoreConformance, CompareAndSetRejectsStaleVersion) {
    ASSERT_TRUE(this->put("gl:cas", {t0, t0, 0, t0 + 1h}, 0, t0));
    EXPECT_FALSE(this->put("gl:cas", {t0, t0, 9, t0 + 1h}, 0, t0)) << "insert over an existing key";
    auto first = this->get("gl:cas", t0);
    // Two deciders read the same version; only the first write wins.
    EXPECT_TRUE(this->put("gl:cas", {t0, t0 + 1s, 1, t0 + 1h}, first.version, t0 + 1s));
    EXPECT_FALSE(this->put("gl:cas", {t0, t0 + 2s, 2, t0 + 1h}, first.version, t0 + 2s));
    auto now = this->get("gl:cas", t0 + 3s);
    ASSERT_TRUE(now.record);
    EXPECT_EQ(now.record->pass_count, 1u);
    EXPECT_NE(now.version, first.version);
}

TYPED_TEST_P(StoreConformance, RecordIsAbsentFromItsExpiry) {
    ASSERT_TRUE(this->put("gl:exp", {t0, t0, 0, t0 + 60s}, 0, t0));
    EXPECT_TRUE(this->get("gl:exp", t0 + 59s).record);
    auto expired = this->get("gl:exp", t0 + 60s);
    EXPECT_FALSE(expired.record);
    // The returned version still lets the next writer replace it.
    EXPECT_TRUE(this->put("gl:exp", {t0 + 60s, t0 + 60s, 0, t0 + 120s}, expired.version, t0 + 60s));
    auto fresh = this->get("gl:exp", t0 + 61s);
    ASSERT_TRUE(fresh.record);
    EXPECT_EQ(fresh.record->first_seen, t0 + 60s);
}

TYPED_TEST_P(StoreConformance, ExpireHousekeepingKeepsLiveEntries) {
    ASSERT_TRUE(this->put("gl:old", {t0, t0, 0, t0 + 60s}, 0, t0));
    ASSERT_TRUE(this->put("gl:live", {t0, t0, 0, t0 + 1h}, 0, t0));
    auto removed = run_sync(this->io_, this->store_->expire(t0 + 120s));
    ASSERT_TRUE(removed.has_value());
    EXPECT_FALSE(this->get("gl:old", t0 + 120s).record);
    EXPECT_TRUE(this->get("gl:live", t0 + 120s).record);
    auto again = this->get("gl:old", t0 + 120s);
    EXPECT_TRUE(this->put("gl:old", {t0 + 120s, t0 + 120s, 0, t0 + 1h}, again.version, t0 + 120s));
}

TYPED_TEST_P(StoreConformance, IncrementCountsWithinFixedWindow) {
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0), 1u);
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 10s), 2u);
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 59s), 3u);
    EXPECT_EQ(this->incr("conn:192.0.2.2/32", t0 + 59s), 1u) << "another key counts apart";
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 60s), 1u) << "a new window starts at 1";
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 61s), 2u);
}

TYPED_TEST_P(StoreConformance, ConcurrentIncrementsAreAtomic) {
    constexpr int n = 25;
    std::set<std::uint64_t> seen;
    int done = 0;
    for (int i = 0; i < n; ++i)
        asio::co_spawn(this->io_, this->store_->increment("msg:198.51.100.7/32", 60s, t0),
                       [&](std::exception_ptr e, state::StoreResult<std::uint64_t> r) {
                           ++done;
                           EXPECT_FALSE(e);
                           EXPECT_TRUE(r.has_value());
                           if (r) seen.insert(*r);
                       });
    while (done < n) {
        this->io_.restart();
        this->io_.run_for(2ms);
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(*seen.begin(), 1u);
    EXPECT_EQ(*seen.rbegin(), static_cast<std::uint64_t>(n));
}

TYPED_TEST_P(StoreConformance, KeyPrefixSeparatesDeployments) {
    ASSERT_TRUE(this->put("gl:shared", {t0, t0, 1, t0 + 1h}, 0, t0));
    auto other = this->backend_.make(this->prefix_ + "other:");
    auto v = run_sync(this->io_, other->greylist_get("gl:shared", t0));
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->record);
}

TYPED_TEST_P(StoreConformance, MarkIsSetUntilItsExpiry) {
    auto has = [this](const std::string& key, TimePoint now) {
        auto r = run_sync(this->io_, this->store_->has_mark(key, now));
        EXPECT_TRUE(r.has_value()) << r.error().message();
        return r && *r;
    };
    EXPECT_FALSE(has("lmtp:m:a", t0));
    ASSERT_TRUE(run_sync(this->io_, this->store_->set_mark("lmtp:m:a", t0 + 60s, t0)).has_value());
    EXPECT_TRUE(has("lmtp:m:a", t0 + 59s));
    EXPECT_FALSE(has("lmtp:m:a", t0 + 60s)) << "absent from its expiry";
    EXPECT_FALSE(has("lmtp:m:b", t0)) << "another key";
    // Setting it again moves the expiry.
    ASSERT_TRUE(run_sync(this->io_, this->store_->set_mark("lmtp:m:a", t0 + 120s, t0 + 30s)).has_value());
    EXPECT_TRUE(has("lmtp:m:a", t0 + 90s));
    auto removed = run_sync(this->io_, this->store_->expire(t0 + 200s));
    ASSERT_TRUE(removed.has_value());
    EXPECT_FALSE(has("lmtp:m:a", t0 + 200s));
    // Keys are binary-safe: addresses may hold any octet a client sends.
    const std::string odd = std::string("lmtp:m:\"q u\"@x|") + '\xff';
    ASSERT_TRUE(run_sync(this->io_, this->store_->set_mark(odd, t0 + 60s, t0)).has_value());
    EXPECT_TRUE(has(odd, t0));
    auto other = this->backend_.make(this->prefix_ + "other:");
    auto elsewhere = run_sync(this->io_, other->has_mark(odd, t0));
    ASSERT_TRUE(elsewhere.has_value());
    EXPECT_FALSE(*elsewhere) << "the key prefix separates deployments";
}

// Report streams (DMARC aggregate-report rows): appended, read back by time range.
TYPED_TEST_P(StoreConformance, ReportRowsComeBackInOrderByTimeRange) {
    const auto week = t0 + 7 * 24h;
    this->append("dmarc", R"({"source_ip":"192.0.2.1"})", t0, week);
    this->append("dmarc", "second row", t0 + 1s, week);
    this->append("dmarc", "next day", t0 + 25h, week);
    this->append("other", "not dmarc", t0 + 2s, week);
    using Row = state::ReportRow;
    EXPECT_EQ(this->rows("dmarc", t0, t0 + 48h, t0 + 26h),
              (std::vector<Row>{{t0, R"({"source_ip":"192.0.2.1"})"}, {t0 + 1s, "second row"}, {t0 + 25h, "next day"}}));
    EXPECT_EQ(this->rows("dmarc", t0 + 1s, t0 + 25h, t0 + 26h), (std::vector<Row>{{t0 + 1s, "second row"}}))
        << "since is in the range, until is not";
    EXPECT_EQ(this->rows("other", t0, t0 + 48h, t0 + 26h), (std::vector<Row>{{t0 + 2s, "not dmarc"}}));
    EXPECT_TRUE(this->rows("nothing", t0, t0 + 48h, t0 + 26h).empty());
    auto other = this->backend_.make(this->prefix_ + "other:");
    auto elsewhere = run_sync(this->io_, other->report_rows("dmarc", t0, t0 + 48h, t0 + 26h));
    ASSERT_TRUE(elsewhere.has_value());
    EXPECT_TRUE(elsewhere->empty()) << "the key prefix separates deployments";
}

TYPED_TEST_P(StoreConformance, ReportRowsAreAbsentFromTheirExpiry) {
    this->append("dmarc", "short", t0, t0 + 60s);
    this->append("dmarc", "long", t0 + 1s, t0 + 1h);
    EXPECT_EQ(this->rows("dmarc", t0, t0 + 1h, t0 + 59s).size(), 2u);
    const auto later = this->rows("dmarc", t0, t0 + 1h, t0 + 60s);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later.front().row, "long");
    ASSERT_TRUE(run_sync(this->io_, this->store_->expire(t0 + 120s)).has_value());
    EXPECT_EQ(this->rows("dmarc", t0, t0 + 1h, t0 + 120s).size(), 1u);
}

REGISTER_TYPED_TEST_SUITE_P(StoreConformance,
                            MissingKeyHasNoRecordAndVersionZero,
                            PutThenGetRoundTrips,
                            CompareAndSetRejectsStaleVersion,
                            RecordIsAbsentFromItsExpiry,
                            ExpireHousekeepingKeepsLiveEntries,
                            IncrementCountsWithinFixedWindow,
                            ConcurrentIncrementsAreAtomic,
                            KeyPrefixSeparatesDeployments,
                            MarkIsSetUntilItsExpiry,
                            ReportRowsComeBackInOrderByTimeRange,
                            ReportRowsAreAbsentFromTheirExpiry);

}  // namespace mxgate::test::store_conformance
