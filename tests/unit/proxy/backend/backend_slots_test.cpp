// BackendSlots: at most max_connections slots per backend; waiters are served
// first come, first served; a wait ends empty at its deadline; a waiter that is
// destroyed mid-wait leaves the line and loses no slot; idle slots are reclaimed.
#include "proxy/backend/backend_slots.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace {

namespace asio = boost::asio;
using mxgate::backend::BackendSlot;
using mxgate::backend::BackendSlots;
using namespace std::chrono_literals;

// Takes a slot (waiting up to `timeout`), records its name in `order` when it
// got one, holds it for `hold`, then gives it back.
asio::awaitable<void> use_slot(BackendSlots& slots, std::string name, std::vector<std::string>& order,
                               std::chrono::milliseconds timeout, std::chrono::milliseconds hold) {
    BackendSlot slot = co_await slots.acquire("b", 1, timeout);
    order.push_back(slot ? name : name + ":busy");
    if (!slot) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor, hold);
    co_await timer.async_wait(asio::use_awaitable);
}

TEST(BackendSlots, WaitersAreServedInArrivalOrder) {
    asio::io_context io;
    BackendSlots slots;
    std::vector<std::string> order;
    for (const char* name : {"first", "second", "third", "fourth"})
        asio::co_spawn(io, use_slot(slots, name, order, 5s, 20ms), asio::detached);
    io.run();
    EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "third", "fourth"}));
    EXPECT_EQ(slots.counters().waits.load(), 3u);
    EXPECT_EQ(slots.counters().wait_timeouts.load(), 0u);
}

TEST(BackendSlots, AWaitEndsEmptyAtItsDeadline) {
    asio::io_context io;
    BackendSlots slots;
    std::vector<std::string> order;
    asio::co_spawn(io, use_slot(slots, "holder", order, 5s, 300ms), asio::detached);
    asio::co_spawn(io, use_slot(slots, "impatient", order, 20ms, 0ms), asio::detached);
    asio::co_spawn(io, use_slot(slots, "patient", order, 5s, 0ms), asio::detached);
    io.run();
    EXPECT_EQ(order, (std::vector<std::string>{"holder", "impatient:busy", "patient"}));
    EXPECT_EQ(slots.counters().wait_timeouts.load(), 1u);
}

TEST(BackendSlots, AWaiterDestroyedMidWaitLeavesNoSlotTaken) {
    BackendSlots slots;
    std::vector<std::string> order;
    {
        asio::io_context io;
        BackendSlot held;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> { held = co_await slots.acquire("b", 1, 5s); },
                       asio::detached);
        asio::co_spawn(io, use_slot(slots, "abandoned", order, 5s, 0ms), asio::detached);
        io.run_for(50ms);  // the second one is waiting now
        held.release();    // hands the slot to it, whose frame is destroyed with `io` before it runs
        EXPECT_TRUE(slots.waiting("b") == false);
    }
    asio::io_context io;
    asio::co_spawn(io, use_slot(slots, "later", order, 100ms, 0ms), asio::detached);
    io.run();
    EXPECT_EQ(order, (std::vector<std::string>{"later"})) << "the abandoned waiter's slot came back";
}

TEST(BackendSlots, AWaiterAsksThePoolsToCloseAnIdleConnection) {
    asio::io_context io;
    BackendSlots slots;
    BackendSlot idle;
    std::vector<std::string> reclaimed;
    slots.add_pool([&](const std::string& backend) {
        asio::post(io, [&, backend] {
            reclaimed.push_back(backend);
            idle.release();  // the pool closes its idle connection
        });
    });
    std::vector<std::string> order;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        idle = co_await slots.acquire("b", 1, 5s);
        idle.set_idle(true);
    }, asio::detached);
    asio::co_spawn(io, use_slot(slots, "newcomer", order, 5s, 0ms), asio::detached);
    io.run();
    EXPECT_EQ(reclaimed, (std::vector<std::string>{"b"}));
    EXPECT_EQ(order, (std::vector<std::string>{"newcomer"}));
}

TEST(BackendSlots, TheBoundHoldsAcrossThreads) {
    BackendSlots slots;
    std::atomic<int> in_use{0}, most{0}, served{0};
    auto worker = [&] {
        asio::io_context io;
        for (int i = 0; i < 20; ++i) {
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                BackendSlot slot = co_await slots.acquire("b", 3, 10s);
                if (!slot) co_return;
                const int now = ++in_use;
                for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
                }
                asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
                co_await timer.async_wait(asio::use_awaitable);
                --in_use;
                ++served;
            }, asio::detached);
        }
        io.run();
    };
    std::thread a(worker), b(worker), c(worker);
    a.join();
    b.join();
    c.join();
    EXPECT_EQ(served.load(), 60);
    EXPECT_LE(most.load(), 3);
}

}  // namespace
