// RedisStore against a real redis-server (started here, stopped by PID): the
// Store conformance suite that SqliteStore also passes, plus what only Redis
// has: a password and a database number, and the server going away.
#include <gtest/gtest.h>

#include "filters/state/redis_store.hpp"
#include "tests/integration/native/filters/state/redis_server.hpp"
#include "tests/unit/filters/state/store_conformance.hpp"

namespace {

using namespace mxgate::test::store_conformance;

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

INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StoreConformance, RedisBackend);

TEST(RedisStoreAuth, PasswordAndDatabase) {
    mxgate::test::RedisServer server(0, {"--requirepass", "s3cret"});
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
    config.reconnect_interval = 1s;  // wide, so "still inside it" needs no fast machine
    asio::io_context io;  // outlives the store, whose thread posts to it
    state::RedisStore store(config, unique_prefix());
    auto incr = [&] { return run_sync(io, store.increment("conn:outage", 60s, t0)); };
    ASSERT_EQ(*incr(), 1u);

    server.pause();  // hangs: the call must give up after `timeout`
    auto r = incr();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), state::store_error::timeout);
    server.resume();
    // Within reconnect_interval the store does not ask: the server answers again, yet the call fails.
    EXPECT_FALSE(incr().has_value()) << "asked the server again while marked down";

    std::this_thread::sleep_for(config.reconnect_interval + 100ms);
    auto back = incr();
    ASSERT_TRUE(back.has_value()) << back.error().message();
    // >= 2: the server may still run the INCR that timed out, once it resumes.
    EXPECT_GE(*back, 2u) << "the same server, state kept";

    server.stop();  // killed: refused or reset, at once (not a timeout)
    auto gone = run_sync(io, store.greylist_get("gl:x", t0));
    EXPECT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error(), state::store_error::unavailable);

    mxgate::test::RedisServer again(server.port());
    ASSERT_TRUE(again.start());
    std::this_thread::sleep_for(config.reconnect_interval + 100ms);
    auto fresh = incr();
    ASSERT_TRUE(fresh.has_value()) << fresh.error().message();
    EXPECT_EQ(*fresh, 1u) << "a new, empty server";
}

TEST(RedisStoreOutage, NoServerAtAllIsUnavailableNotAHang) {
    const mxgate::test::ClosedPort nobody_listens;
    state::RedisConfig config;
    config.port = nobody_listens.port();
    config.timeout = 200ms;
    asio::io_context io;  // outlives the store, whose thread posts to it
    state::RedisStore store(config, "x:");
    auto r = run_sync(io, store.greylist_get("gl:a", t0));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), state::store_error::unavailable) << "refused at once, not a timeout";
}

}  // namespace
