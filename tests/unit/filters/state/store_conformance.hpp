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

REGISTER_TYPED_TEST_SUITE_P(StoreConformance,
                            MissingKeyHasNoRecordAndVersionZero,
                            PutThenGetRoundTrips,
                            CompareAndSetRejectsStaleVersion,
                            RecordIsAbsentFromItsExpiry,
                            ExpireHousekeepingKeepsLiveEntries,
                            IncrementCountsWithinFixedWindow,
                            ConcurrentIncrementsAreAtomic,
                            KeyPrefixSeparatesDeployments,
                            MarkIsSetUntilItsExpiry);

}  // namespace mxgate::test::store_conformance
