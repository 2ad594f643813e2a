#include "filters/dns/deadline_query.hpp"

#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters::dns {

namespace asio = boost::asio;

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

}  // namespace mxgate::filters::dns
