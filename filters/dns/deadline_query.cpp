#include "filters/dns/deadline_query.hpp"

#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters::dns {

namespace asio = boost::asio;

namespace {

// The check goes on after the deadline's cancellation, to end with its value.
asio::awaitable<void> to_the_end(asio::awaitable<void> check) {
    co_await asio::this_coro::throw_if_cancelled(false);
    co_await std::move(check);
}

}  // namespace

asio::awaitable<Answer> query_until(Resolver& resolver, std::string name, RecordType type,
                                         QueryDeadline deadline) {
    using namespace asio::experimental::awaitable_operators;
    if (std::chrono::steady_clock::now() >= deadline) co_return Answer{Status::timeout};
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    auto question = resolver.query(std::move(name), type);
    // as_tuple: the cancelled wait completes with an error code, not a thrown
    // operation_aborted (an exception per answered question, seen in perf).
    auto budget = timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto either = std::move(question) || std::move(budget);
    auto first = co_await std::move(either);
    if (first.index() == 0) co_return std::get<0>(std::move(first));
    co_return Answer{Status::timeout};  // the query was cancelled by the || operator
}

asio::awaitable<void> detail::run_to_the_end_within(QueryDeadline deadline, asio::awaitable<void> check) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    auto work = to_the_end(std::move(check));
    auto budget = timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto either = std::move(work) || std::move(budget);
    // Whichever ends first, the other is cancelled and waited for: the check has ended.
    co_await std::move(either);
}

asio::awaitable<Answer> ask_within(Resolver& resolver, std::string name, RecordType type, QueryDeadline deadline) {
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none || std::chrono::steady_clock::now() >= deadline)
        co_return Answer{Status::timeout};
    co_return co_await resolver.query(std::move(name), type);
}

}  // namespace mxgate::filters::dns
