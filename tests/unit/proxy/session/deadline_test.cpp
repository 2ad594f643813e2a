#include "proxy/session/deadline.hpp"

#include <gtest/gtest.h>

#include <functional>

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

// Runs `phase` against a deadline whose watchdog counts its firings; returns the count.
int firings(std::function<asio::awaitable<void>(asio::io_context&, Deadline&)> phase,
            std::function<void()> on_fire = [] {}) {
    asio::io_context io;
    Deadline deadline(io.get_executor());
    int fired = 0;
    asio::co_spawn(io, deadline.watch([&] {
        ++fired;
        on_fire();
    }), asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        co_await phase(io, deadline);
        deadline.stop();
    }, asio::detached);
    io.run_for(2s);
    return fired;
}

TEST(DeadlineTest, FiresOnceWhenThePhaseRunsOver) {
    EXPECT_EQ(firings([](asio::io_context& io, Deadline& deadline) -> asio::awaitable<void> {
                  deadline.expires_after(50ms);
                  co_await sleep_for(io, 200ms);
                  EXPECT_TRUE(deadline.fired());
              }),
              1);
}

TEST(DeadlineTest, TrafficDoesNotPushItBack) {
    constexpr int arrivals = 6;
    int arrived = 0;
    int arrived_when_fired = -1;
    const int fired = firings(
        [&](asio::io_context& io, Deadline& deadline) -> asio::awaitable<void> {
            deadline.expires_after(100ms);
            for (; arrived < arrivals; ++arrived) co_await sleep_for(io, 30ms);  // "bytes arriving"
        },
        [&] { arrived_when_fired = arrived; });
    EXPECT_EQ(fired, 1);
    // Order, not milliseconds: it fired while bytes were still arriving (after 3 of 6, at 100 ms of 180).
    EXPECT_GE(arrived_when_fired, 0);
    EXPECT_LT(arrived_when_fired, arrivals);
}

TEST(DeadlineTest, LaterAndSoonerDeadlines) {
    EXPECT_EQ(firings([](asio::io_context& io, Deadline& deadline) -> asio::awaitable<void> {
                  deadline.expires_after(1h);
                  co_await sleep_for(io, 20ms);
                  deadline.expires_after(30ms);  // sooner: the watchdog must wake for it
                  co_await sleep_for(io, 100ms);
                  EXPECT_TRUE(deadline.fired());
                  deadline.expires_after(1h);
                  co_await sleep_for(io, 50ms);
              }),
              1);
}

// BDAT: the next command's deadline is the message's when that comes first, even if it has passed.
TEST(DeadlineTest, AnAbsoluteDeadlineAlreadyPassedFiresAtOnce) {
    EXPECT_EQ(firings([](asio::io_context& io, Deadline& deadline) -> asio::awaitable<void> {
                  deadline.expires_after(1h);
                  co_await sleep_for(io, 20ms);
                  deadline.expires_at(Deadline::clock::now() - 1ms);
                  co_await sleep_for(io, 50ms);
                  EXPECT_TRUE(deadline.fired());
              }),
              1);
}

}  // namespace
}  // namespace mxgate::session
