// The expiry loop deletes expired SQLite rows on its own, tick after tick.
#include <filesystem>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <sqlite3.h>

#include "filters/state/housekeeping.hpp"
#include "filters/state/sqlite_store.hpp"
#include "tests/unit/filters/state/test_support.hpp"

namespace {

namespace asio = boost::asio;
namespace state = mxgate::filters::state;
using namespace std::chrono_literals;

int rows(const std::string& path) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    int n = -1;
    sqlite3_exec(
        db, "SELECT count(*) FROM greylist",
        [](void* out, int, char** values, char**) {
            *static_cast<int*>(out) = std::atoi(values[0]);
            return 0;
        },
        &n, nullptr);
    sqlite3_close(db);
    return n;
}

TEST(StoreHousekeeping, SqliteRowsAreDeletedByTheLoop) {
    const auto path =
        (std::filesystem::temp_directory_path() / ("mxgate-hk-" + std::to_string(::getpid()) + ".db")).string();
    {
        asio::io_context io;  // outlives the store, whose thread posts to it
        state::SqliteStore store(state::SqliteConfig{path}, "");
        const state::TimePoint t0{std::chrono::seconds(1'800'000'000)};
        state::TimePoint now = t0;
        ASSERT_TRUE(*mxgate::test::run_sync(io, store.greylist_put("gl:a", {t0, t0, 0, t0 + 60s}, 0, t0)));
        ASSERT_TRUE(*mxgate::test::run_sync(io, store.greylist_put("gl:b", {t0, t0, 0, t0 + 1h}, 0, t0)));
        ASSERT_EQ(rows(path), 2);
        now = t0 + 2min;
        asio::co_spawn(io, state::housekeeping_loop(store, 5ms, [&] { return now; }), asio::detached);
        for (int i = 0; i < 200 && rows(path) != 1; ++i) {
            io.restart();  // run_sync may have left it stopped
            io.run_for(5ms);
        }
        EXPECT_EQ(rows(path), 1);
        io.stop();
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace
