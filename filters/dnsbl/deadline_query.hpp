// One DNS question with a deadline of the caller's own (a list's or FCrDNS's
// budget), shorter than or equal to dns.timeout. Past the deadline the question
// is cancelled in the resolver and answers Status::timeout; never throws for DNS
// trouble, never waits longer than the deadline.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "filters/dns/resolver.hpp"

namespace mxgate::filters::dnsbl {

using Deadline = std::chrono::steady_clock::time_point;

boost::asio::awaitable<dns::Answer> query_until(dns::Resolver& resolver, std::string name, dns::RecordType type,
                                                Deadline deadline);

}  // namespace mxgate::filters::dnsbl
