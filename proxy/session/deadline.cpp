#include "proxy/session/deadline.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::session {

void Deadline::expires_at(clock::time_point at) {
    at_ = at;
    fired_ = false;
    // Only a sooner deadline needs the sleeping watchdog woken.
    if (at_ < timer_.expiry()) timer_.cancel();
}

void Deadline::stop() {
    stopped_ = true;
    timer_.cancel();
}

boost::asio::awaitable<void> Deadline::watch(std::function<void()> on_expire) {
    while (!stopped_) {
        timer_.expires_at(at_);
        boost::system::error_code ec;
        co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (stopped_) break;
        if (passed()) {
            at_ = clock::time_point::max();
            fired_ = true;
            on_expire();
        }
    }
}

}  // namespace mxgate::session
