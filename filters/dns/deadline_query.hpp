// DNS questions with a deadline of the caller's own (a DNS list's, FCrDNS's or an SPF evaluation's
// budget), shorter than or equal to dns.timeout. Past the deadline the question
// is cancelled in the resolver and answers Status::timeout; never throws for DNS
// trouble, never waits longer than the deadline.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "filters/dns/resolver.hpp"

namespace mxgate::filters::dns {

using QueryDeadline = std::chrono::steady_clock::time_point;

boost::asio::awaitable<Answer> query_until(Resolver& resolver, std::string name, RecordType type,
                                                QueryDeadline deadline);

// A question of a check under run_within(): no timer of its own. After the deadline,
// or once the check is cancelled, it answers Status::timeout at once.
boost::asio::awaitable<Answer> ask_within(Resolver& resolver, std::string name, RecordType type,
                                          QueryDeadline deadline);

namespace detail {
boost::asio::awaitable<void> run_to_the_end_within(QueryDeadline deadline, boost::asio::awaitable<void> check);

template <typename T>
boost::asio::awaitable<void> store(boost::asio::awaitable<T> check, T& value) {
    value = co_await std::move(check);
}
}  // namespace detail

// One timer for a whole check of several questions (a DNS list's A and TXT records,
// FCrDNS's PTR and forward lookups), as the SPF evaluator has, instead of one per
// question. `check` asks with ask_within(); at the deadline (or when the caller is
// cancelled) the question in flight is cancelled and answers Status::timeout, so
// `check` still ends with its own value (a listed DNS list without its TXT reason).
template <typename T>
boost::asio::awaitable<T> run_within(QueryDeadline deadline, boost::asio::awaitable<T> check) {
    T value{};
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    auto stored = detail::store(std::move(check), value);
    auto bounded = detail::run_to_the_end_within(deadline, std::move(stored));
    co_await std::move(bounded);
    co_return value;
}

}  // namespace mxgate::filters::dns
