// One DNS question with a deadline of the caller's own (a DNS list's, FCrDNS's or an SPF evaluation's
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

}  // namespace mxgate::filters::dns
