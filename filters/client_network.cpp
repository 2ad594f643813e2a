#include "filters/client_network.hpp"

#include <algorithm>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace mxgate::filters {

namespace ip = boost::asio::ip;

std::string client_network(const ip::address& client, unsigned ipv4_prefix, unsigned ipv6_prefix) {
    if (client.is_v6() && client.to_v6().is_v4_mapped())
        return client_network(ip::make_address_v4(ip::v4_mapped, client.to_v6()), ipv4_prefix, ipv6_prefix);
    if (client.is_v4()) return ip::make_network_v4(client.to_v4(), std::min(ipv4_prefix, 32u)).canonical().to_string();
    return ip::make_network_v6(client.to_v6(), std::min(ipv6_prefix, 128u)).canonical().to_string();
}

}  // namespace mxgate::filters
