// The Store conformance suite against SqliteStore (a temp file), plus what only
// SQLite has: surviving a restart, file modes, a locked database. RedisStore runs
// the same suite in tests/integration/native/filters/state/redis_store_test.cpp.
#include <filesystem>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include "filters/state/sqlite_store.hpp"
#include "tests/unit/filters/state/store_conformance.hpp"

namespace {

using namespace mxgate::test::store_conformance;

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

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreConformance, SqliteBackend);

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
    asio::io_context io;  // outlives the store, whose thread posts to it
    auto store = backend.make("p:");
    ASSERT_TRUE(run_sync(io, store->increment("conn:mode", 60s, t0)).has_value());
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const auto perms = std::filesystem::status(backend.path.string() + suffix).permissions();
        EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
            << suffix;
    }
}

TEST(SqliteStore, LockedDatabaseIsUnavailableAfterBusyTimeout) {
    SqliteBackend backend;
    asio::io_context io;  // outlives the store, whose thread posts to it
    auto store = std::make_unique<state::SqliteStore>(state::SqliteConfig{backend.path.string(), 100ms}, "p:");
    sqlite3* other = nullptr;  // another process holding the write lock
    ASSERT_EQ(sqlite3_open(backend.path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO counters VALUES ('x', 1, 0);", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    auto r = run_sync(io, store->increment("conn:busy", 60s, t0));  // returns at all: busy_timeout gave up
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(run_sync(io, store->greylist_get("gl:read", t0)).has_value()) << "WAL: readers do not wait";
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_EQ(*run_sync(io, store->increment("conn:busy", 60s, t0)), 1u) << "back once the lock is gone";
}

}  // namespace
