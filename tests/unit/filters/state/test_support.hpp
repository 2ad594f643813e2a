// Test helper for the state store and its users: run a coroutine to the end on
// a test io_context. (The real redis-server of the integration tier is in
// tests/integration/native/filters/state/redis_server.hpp.)
#pragma once

#include <chrono>
#include <future>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace mxgate::test {

template <class T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
    auto done = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.restart();
        io.run_for(std::chrono::milliseconds(2));
    }
    return done.get();
}

}  // namespace mxgate::test
