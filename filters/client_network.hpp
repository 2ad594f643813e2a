// The network a client address belongs to at a configured prefix length, as
// text ("192.0.2.0/24", "2001:db8:1:2::/64"): the key under which per-client
// counts are kept (greylisting, rate limits, connection limits), so one IPv6
// host, which usually owns a whole /64, counts once. Pure code, no errors.
#pragma once

#include <string>

#include <boost/asio/ip/address.hpp>

namespace mxgate::filters {

// A v4-mapped IPv6 client counts as IPv4. Prefixes longer than the address are clamped.
std::string client_network(const boost::asio::ip::address& client, unsigned ipv4_prefix, unsigned ipv6_prefix);

}  // namespace mxgate::filters
