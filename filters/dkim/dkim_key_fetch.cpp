#include "filters/dkim/dkim_key_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters::dkim {

namespace asio = boost::asio;

KeyFetcher::KeyFetcher(dns::Resolver& resolver, asio::any_io_executor executor, std::chrono::milliseconds timeout)
    : resolver_(resolver), executor_(executor), timeout_(timeout), shared_(std::make_shared<Shared>(executor)) {}

void KeyFetcher::begin() {
    deadline_ = std::chrono::steady_clock::now() + timeout_;
    shared_->wake.expires_at(deadline_);
}

void KeyFetcher::start(const std::string& name) {
    if (!shared_->answers.emplace(name, KeyAnswer{}).second) return;
    ++shared_->pending;
    asio::co_spawn(executor_, fetch(shared_, resolver_, name, deadline_), asio::detached);
}

asio::awaitable<void> KeyFetcher::fetch(std::shared_ptr<Shared> shared, dns::Resolver& resolver, std::string name,
                                        dns::QueryDeadline deadline) {
    dns::Answer answer = co_await dns::query_until(resolver, name, dns::RecordType::txt, deadline);
    KeyAnswer& slot = shared->answers[name];
    slot.status = answer.status;
    // RFC 6376 §3.6.2.2: one record is expected; with several, the first is used.
    if (answer.status == dns::Status::ok) slot.record = std::move(answer.records.front());
    if (--shared->pending == 0) shared->wake.cancel();
}

asio::awaitable<bool> KeyFetcher::wait_all() {
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    while (shared_->pending > 0 && std::chrono::steady_clock::now() < deadline_) {
        auto woken = shared_->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        co_await std::move(woken);
        // Woken by the last answer, the deadline, or our caller giving up.
        const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none) co_return false;
    }
    co_return true;
}

KeyAnswer KeyFetcher::answer(const std::string& name) const {
    const auto it = shared_->answers.find(name);
    if (it == shared_->answers.end()) return KeyAnswer{};
    // A lookup still running past the deadline has not written its status yet.
    return it->second;
}

}  // namespace mxgate::filters::dkim
