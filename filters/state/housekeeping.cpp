#include "filters/state/housekeeping.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/core/log.hpp"

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
            log::warn(log::Line("state_store_expire_failed").add("backend", store.backend_name())
                          .add("error", removed.error().message()));
        else if (*removed > 0)
            log::debug(log::Line("state_store_expired").add("backend", store.backend_name())
                           .add("removed", static_cast<long long>(*removed)));
    }
}

}  // namespace mxgate::filters::state
