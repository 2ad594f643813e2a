// One conformance suite, run against SqliteStore (a temp file) and RedisStore
// (a redis-server this test starts on a free port): both must behave the same.
// Plus what only one backend has: SQLite surviving a restart, Redis going away.
#include <atomic>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sqlite3.h>

#include "filters/state/redis_store.hpp"
#include "filters/state/sqlite_store.hpp"
#include "tests/unit/filters/state/test_support.hpp"

namespace {

namespace asio = boost::asio;
namespace state = mxgate::filters::state;
using namespace std::chrono_literals;
using mxgate::test::run_sync;
using state::GreylistRecord;
using state::TimePoint;

const TimePoint t0{std::chrono::seconds(1'800'000'000)};  // aligned to the minute

std::string unique_prefix() {
    static std::atomic<int> n{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string("t") + std::to_string(::getpid()) + ":" + info->name() + ":" + std::to_string(++n) + ":";
}

struct SqliteBackend {
    static void suite_setup() {}
    static void suite_teardown() {}
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("mxgate-state-" + std::to_string(::getpid()) + "-" + unique_prefix().substr(1, 40) +
                                  ".db");
    std::unique_ptr<state::Store> make(const std::string& prefix) {
        return std::make_unique<state::SqliteStore>(state::SqliteConfig{path.string(), 2s}, prefix);
    }
    ~SqliteBackend() {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    }
};

struct RedisBackend {
    static inline std::unique_ptr<mxgate::test::RedisServer> server;
    static void suite_setup() {
        server = std::make_unique<mxgate::test::RedisServer>();
        ASSERT_TRUE(server->start()) << "redis-server did not start";
    }
    static void suite_teardown() { server.reset(); }
    std::unique_ptr<state::Store> make(const std::string& prefix) {
        state::RedisConfig config;
        config.port = server->port();
        config.timeout = 500ms;
        config.reconnect_interval = 100ms;
        return std::make_unique<state::RedisStore>(config, prefix);
    }
};

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

using Backends = ::testing::Types<SqliteBackend, RedisBackend>;
class BackendNames {
public:
    template <class T>
    static std::string GetName(int) {
        return std::is_same_v<T, SqliteBackend> ? "sqlite" : "redis";
    }
};
TYPED_TEST_SUITE(StoreConformance, Backends, BackendNames);

TYPED_TEST(StoreConformance, MissingKeyHasNoRecordAndVersionZero) {
    auto v = this->get("gl:nothing", t0);
    EXPECT_FALSE(v.record);
    EXPECT_EQ(v.version, 0u);
}

TYPED_TEST(StoreConformance, PutThenGetRoundTrips) {
    const GreylistRecord rec{t0, t0 + 10s, 3, t0 + 24h};
    ASSERT_TRUE(this->put("gl:a", rec, 0, t0));
    auto v = this->get("gl:a", t0 + 1s);
    ASSERT_TRUE(v.record);
    EXPECT_EQ(*v.record, rec);
    EXPECT_NE(v.version, 0u);
}

TYPED_TEST(StoreConformance, CompareAndSetRejectsStaleVersion) {
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

TYPED_TEST(StoreConformance, RecordIsAbsentFromItsExpiry) {
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

TYPED_TEST(StoreConformance, ExpireHousekeepingKeepsLiveEntries) {
    ASSERT_TRUE(this->put("gl:old", {t0, t0, 0, t0 + 60s}, 0, t0));
    ASSERT_TRUE(this->put("gl:live", {t0, t0, 0, t0 + 1h}, 0, t0));
    auto removed = run_sync(this->io_, this->store_->expire(t0 + 120s));
    ASSERT_TRUE(removed.has_value());
    EXPECT_FALSE(this->get("gl:old", t0 + 120s).record);
    EXPECT_TRUE(this->get("gl:live", t0 + 120s).record);
    auto again = this->get("gl:old", t0 + 120s);
    EXPECT_TRUE(this->put("gl:old", {t0 + 120s, t0 + 120s, 0, t0 + 1h}, again.version, t0 + 120s));
}

TYPED_TEST(StoreConformance, IncrementCountsWithinFixedWindow) {
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0), 1u);
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 10s), 2u);
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 59s), 3u);
    EXPECT_EQ(this->incr("conn:192.0.2.2/32", t0 + 59s), 1u) << "another key counts apart";
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 60s), 1u) << "a new window starts at 1";
    EXPECT_EQ(this->incr("conn:192.0.2.1/32", t0 + 61s), 2u);
}

TYPED_TEST(StoreConformance, ConcurrentIncrementsAreAtomic) {
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

TYPED_TEST(StoreConformance, KeyPrefixSeparatesDeployments) {
    ASSERT_TRUE(this->put("gl:shared", {t0, t0, 1, t0 + 1h}, 0, t0));
    auto other = this->backend_.make(this->prefix_ + "other:");
    auto v = run_sync(this->io_, other->greylist_get("gl:shared", t0));
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->record);
}

TEST(SqliteStore, StateSurvivesRestart) {
    SqliteBackend backend;
    asio::io_context io;
    {
        auto store = backend.make("p:");
        ASSERT_TRUE(*run_sync(io, store->greylist_put("gl:keep", {t0, t0, 2, t0 + 24h}, 0, t0)));
        ASSERT_EQ(*run_sync(io, store->increment("conn:x", 60s, t0)), 1u);
    }
    auto reopened = backend.make("p:");
    auto v = run_sync(io, reopened->greylist_get("gl:keep", t0 + 1s));
    ASSERT_TRUE(v.has_value());
    ASSERT_TRUE(v->record);
    EXPECT_EQ(v->record->pass_count, 2u);
    EXPECT_EQ(*run_sync(io, reopened->increment("conn:x", 60s, t0 + 1s)), 2u);
}

TEST(SqliteStore, UnopenableFileIsAStartupError) {
    EXPECT_THROW(state::SqliteStore(state::SqliteConfig{"/nonexistent-dir/x/state.db"}, ""), std::runtime_error);
}

TEST(SqliteStore, NewDatabaseFilesAreOwnerOnly) {
    SqliteBackend backend;
    auto store = backend.make("p:");
    asio::io_context io;
    ASSERT_TRUE(run_sync(io, store->increment("conn:mode", 60s, t0)).has_value());
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const auto perms = std::filesystem::status(backend.path.string() + suffix).permissions();
        EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
            << suffix;
    }
}

TEST(SqliteStore, LockedDatabaseIsUnavailableAfterBusyTimeout) {
    SqliteBackend backend;
    auto store = std::make_unique<state::SqliteStore>(state::SqliteConfig{backend.path.string(), 100ms}, "p:");
    sqlite3* other = nullptr;  // another process holding the write lock
    ASSERT_EQ(sqlite3_open(backend.path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO counters VALUES ('x', 1, 0);", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    asio::io_context io;
    const auto start = std::chrono::steady_clock::now();
    auto r = run_sync(io, store->increment("conn:busy", 60s, t0));
    EXPECT_FALSE(r.has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_TRUE(run_sync(io, store->greylist_get("gl:read", t0)).has_value()) << "WAL: readers do not wait";
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_EQ(*run_sync(io, store->increment("conn:busy", 60s, t0)), 1u) << "back once the lock is gone";
}

TEST(RedisStoreAuth, PasswordAndDatabase) {
    mxgate::test::RedisServer server(mxgate::test::free_port(), {"--requirepass", "s3cret"});
    ASSERT_TRUE(server.start());
    state::RedisConfig config;
    config.port = server.port();
    config.password = "s3cret";
    config.db = 3;
    config.timeout = 300ms;
    asio::io_context io;
    state::RedisStore good(config, "a:");
    auto r = run_sync(io, good.increment("conn:auth", 60s, t0));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(*r, 1u);
    config.db = 4;
    state::RedisStore other_db(config, "a:");
    EXPECT_EQ(*run_sync(io, other_db.increment("conn:auth", 60s, t0)), 1u) << "SELECT took effect";
    config.password = "wrong";
    state::RedisStore bad(config, "a:");
    EXPECT_FALSE(run_sync(io, bad.increment("conn:auth", 60s, t0)).has_value());
}

// Redis going away: a stopped server (calls time out), a killed one (refused),
// and coming back (the store reconnects by itself).
TEST(RedisStoreOutage, UnavailableWithinTimeoutAndBackAfterRestart) {
    mxgate::test::RedisServer server;
    ASSERT_TRUE(server.start());
    state::RedisConfig config;
    config.port = server.port();
    config.timeout = 300ms;
    config.reconnect_interval = 200ms;
    state::RedisStore store(config, unique_prefix());
    asio::io_context io;
    auto incr = [&] { return run_sync(io, store.increment("conn:outage", 60s, t0)); };
    ASSERT_EQ(*incr(), 1u);

    server.pause();  // hangs: the call must give up after `timeout`
    auto start = std::chrono::steady_clock::now();
    auto r = incr();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), state::store_error::timeout);
    EXPECT_LT(took, 900ms);
    start = std::chrono::steady_clock::now();
    EXPECT_FALSE(incr().has_value()) << "fails fast while down";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    server.resume();

    std::this_thread::sleep_for(250ms);  // past reconnect_interval
    auto back = incr();
    ASSERT_TRUE(back.has_value()) << back.error().message();
    // >= 2: the server may still run the INCR that timed out, once it resumes.
    EXPECT_GE(*back, 2u) << "the same server, state kept";

    server.stop();  // killed: refused or reset, at once
    start = std::chrono::steady_clock::now();
    auto gone = run_sync(io, store.greylist_get("gl:x", t0));
    EXPECT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error(), state::store_error::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);

    mxgate::test::RedisServer again(server.port());
    ASSERT_TRUE(again.start());
    std::this_thread::sleep_for(250ms);
    auto fresh = incr();
    ASSERT_TRUE(fresh.has_value()) << fresh.error().message();
    EXPECT_EQ(*fresh, 1u) << "a new, empty server";
}

TEST(RedisStoreOutage, NoServerAtAllIsUnavailableNotAHang) {
    state::RedisConfig config;
    config.port = mxgate::test::free_port();
    config.timeout = 200ms;
    state::RedisStore store(config, "x:");
    asio::io_context io;
    const auto start = std::chrono::steady_clock::now();
    auto r = run_sync(io, store.greylist_get("gl:a", t0));
    EXPECT_FALSE(r.has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

}  // namespace
