// Forward-confirmed reverse DNS (FCrDNS) of the client: the PTR names of its
// address, then the A (IPv4) or AAAA (IPv6) records of each name, all of them
// concurrently and within one budget; confirmed when one name maps back to the
// client address. Reported as the Finding "fcrdns" (docs/filters.md):
//   pass      a name maps back; attr name=<that name>
//   fail      PTR names exist, none maps back (attr names=<the PTR names checked>)
//   none      no PTR record (NXDOMAIN/NODATA)
//   temperror PTR lookup timed out or failed, or no name confirmed and one of the
//             forward lookups failed (it might have confirmed)
// DNS trouble is an outcome, never an exception.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "filters/dns/resolver.hpp"
#include "filters/dnsbl/dnsbl_config.hpp"
#include "filters/filter.hpp"

namespace mxgate::filters::dnsbl {

struct FcrdnsResult {
    core::Outcome outcome = core::Outcome::none;
    std::string name;                    // the confirmed name (outcome pass)
    std::vector<std::string> ptr_names;  // the PTR names checked (at most max_names)
    std::string reason;                  // for logs and explain
};

boost::asio::awaitable<FcrdnsResult> check_fcrdns(dns::Resolver& resolver, boost::asio::ip::address client,
                                                  const FcrdnsConfig& config);

core::Finding to_finding(const FcrdnsResult& result);  // name "fcrdns"

// The client's confirmed name from a stage's findings (the "fcrdns" pass), for
// the Received: header and logs; nullopt when not confirmed or not checked.
std::optional<std::string> confirmed_name(const std::vector<core::Finding>& findings);

}  // namespace mxgate::filters::dnsbl
