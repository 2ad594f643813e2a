#include "filters/state/housekeeping.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace mxgate::filters::state {

namespace asio = boost::asio;

asio::awaitable<void> housekeeping_loop(Store& store, std::chrono::milliseconds interval,
                                        std::function<TimePoint()> clock) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(interval);
        co_await timer.async_wait(asio::use_awaitable);
        auto removed = co_await store.expire(clock());
        if (!removed)
            spdlog::warn("event=state_store_expire_failed backend={} error=\"{}\"", store.backend_name(),
                         removed.error().message());
        else if (*removed > 0)
            spdlog::debug("event=state_store_expired backend={} removed={}", store.backend_name(), *removed);
    }
}

}  // namespace mxgate::filters::state
