// Runs blocking store work (SQLite, synchronous hiredis) on the store's own
// thread and resumes the caller on its own executor: no worker thread blocks.
#pragma once

#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters::state {

// The caller's io_context must outlive the store that owns `thread`: the
// thread posts the completion to it and touches it once more afterwards, so an
// io_context destroyed first is a use-after-free (the store's destructor joins).
// Not itself a coroutine, and callers name the work before co_await: GCC 12
// destroys lambda temporaries inside a co_await full-expression twice.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> on_thread(boost::asio::thread_pool& thread, F f) {
    using R = std::invoke_result_t<F&>;
    return boost::asio::co_spawn(
        thread, [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
        boost::asio::use_awaitable);
}

}  // namespace mxgate::filters::state
