// Two mxgate nodes sharing one redis-server (started here on loopback): a
// client deferred by one node passes on the other, and rate limits count
// across the fleet.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "filters/greylist/greylist_filter.hpp"
#include "filters/greylist/rate_limit_filter.hpp"
#include "filters/state/redis_store.hpp"
#include "tests/integration/native/filters/state/redis_server.hpp"
#include "tests/unit/filters/state/test_support.hpp"
#include "tests/unit/filters/mailbox.hpp"

namespace {

namespace gl = mxgate::filters::greylist;
namespace f = mxgate::filters;
namespace core = mxgate::core;
namespace state = mxgate::filters::state;
using namespace std::chrono_literals;
using mxgate::test::run_sync;
namespace ip = boost::asio::ip;

TEST(GreylistFleet, DeferredOnOneNodePassesOnAnother) {
    mxgate::test::RedisServer server;
    ASSERT_TRUE(server.start());
    state::RedisConfig redis;
    redis.port = server.port();
    const std::string prefix = "fleet" + std::to_string(::getpid()) + ":";
    auto config = std::make_shared<const gl::GreylistConfig>();
    gl::TimePoint now{std::chrono::seconds(1'900'000'000)};
    auto clock = [&] { return now; };
    boost::asio::io_context io;  // outlives the stores, whose threads post to it
    gl::GreylistFilter node_a(config, std::make_shared<state::RedisStore>(redis, prefix), clock);
    gl::GreylistFilter node_b(config, std::make_shared<state::RedisStore>(redis, prefix), clock);
    const gl::GreylistRequest request{ip::make_address("203.0.113.5"), false, mxgate::test::mailbox("a@example.org"), mxgate::test::mailbox("b@dest.example")};

    EXPECT_EQ(run_sync(io, node_a.check(request)).outcome, core::Outcome::softfail);
    now += 1min;
    EXPECT_EQ(run_sync(io, node_b.check(request)).outcome, core::Outcome::softfail) << "too early on any node";
    now += 5min;
    EXPECT_EQ(run_sync(io, node_b.check(request)).outcome, core::Outcome::pass);

    auto limits = std::make_shared<gl::RateLimitConfig>();
    limits->max_connections_per_window = 2;
    gl::RateLimitFilter limit_a(limits, std::make_shared<state::RedisStore>(redis, prefix), clock);
    gl::RateLimitFilter limit_b(limits, std::make_shared<state::RedisStore>(redis, prefix), clock);
    f::TransactionView view;
    view.client_address = ip::make_address("203.0.113.5");
    EXPECT_EQ(run_sync(io, limit_a.inspect(core::Stage::connect, view)).at(0).outcome, core::Outcome::pass);
    EXPECT_EQ(run_sync(io, limit_b.inspect(core::Stage::connect, view)).at(0).outcome, core::Outcome::pass);
    EXPECT_EQ(run_sync(io, limit_a.inspect(core::Stage::connect, view)).at(0).outcome, core::Outcome::fail);
}

}  // namespace
