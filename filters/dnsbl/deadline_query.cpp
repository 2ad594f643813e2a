#include "filters/dnsbl/deadline_query.hpp"

#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters::dnsbl {

namespace asio = boost::asio;

asio::awaitable<dns::Answer> query_until(dns::Resolver& resolver, std::string name, dns::RecordType type,
                                         Deadline deadline) {
    using namespace asio::experimental::awaitable_operators;
    if (std::chrono::steady_clock::now() >= deadline) co_return dns::Answer{dns::Status::timeout};
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    auto question = resolver.query(std::move(name), type);
    auto budget = timer.async_wait(asio::use_awaitable);
    auto either = std::move(question) || std::move(budget);
    auto first = co_await std::move(either);
    if (first.index() == 0) co_return std::get<0>(std::move(first));
    co_return dns::Answer{dns::Status::timeout};  // the query was cancelled by the || operator
}

}  // namespace mxgate::filters::dnsbl
