#include "proxy/session/deadline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::session {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;


asio::awaitable<void> sleep_for(asio::io_context& io, std::chrono::milliseconds d) {
    asio::steady_timer t(io, d);
    co_await t.async_wait(asio::use_awaitable);
}

TEST(DeadlineTest, FiresOnceWhenThePhaseRunsOver) {
    asio::io_context io;
    Deadline deadline(io.get_executor());
    int fired = 0;
    asio::co_spawn(io, deadline.watch([&] { ++fired; }), asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            deadline.expires_after(50ms);
            co_await sleep_for(io, 200ms);
            EXPECT_TRUE(deadline.fired());
            deadline.stop();
        },
        asio::detached);
    io.run_for(2s);
    EXPECT_EQ(fired, 1);
}

TEST(DeadlineTest, TrafficDoesNotPushItBack) {
    asio::io_context io;
    Deadline deadline(io.get_executor());
    int fired = 0;
    auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration fired_after{};
    asio::co_spawn(io, deadline.watch([&] {
        ++fired;
        fired_after = std::chrono::steady_clock::now() - start;
    }), asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            deadline.expires_after(100ms);
            for (int i = 0; i < 6; ++i) co_await sleep_for(io, 30ms);  // "bytes arriving"
            deadline.stop();
        },
        asio::detached);
    io.run_for(2s);
    EXPECT_EQ(fired, 1);
    EXPECT_LT(fired_after, 160ms);
}

TEST(DeadlineTest, LaterAndSoonerDeadlines) {
    asio::io_context io;
    Deadline deadline(io.get_executor());
    int fired = 0;
    asio::co_spawn(io, deadline.watch([&] { ++fired; }), asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            deadline.expires_after(1h);
            co_await sleep_for(io, 20ms);
            deadline.expires_after(30ms);  // sooner: the watchdog must wake for it
            co_await sleep_for(io, 100ms);
            EXPECT_EQ(fired, 1);
            deadline.expires_after(1h);
            co_await sleep_for(io, 50ms);
            deadline.stop();
        },
        asio::detached);
    io.run_for(2s);
    EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace mxgate::session
