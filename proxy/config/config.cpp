// Small behaviour of the config value types: printing an endpoint and matching a
// client address against a network. Pure; never throws.
#include "proxy/config/config.hpp"

#include <array>

namespace mxgate::config {

namespace ip = boost::asio::ip;

std::string Endpoint::str() const {
    // RFC 3986 §3.2.2: an IPv6 literal needs brackets to keep the port apart.
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

namespace {

template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned bits) {
    for (std::size_t i = 0; i < N && bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const auto mask = static_cast<unsigned char>(0xffu << (8 - take));
        if ((a[i] & mask) != (b[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

}  // namespace

bool Network::contains(const ip::address& candidate) const {
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2);
    // they must match IPv4 networks, and an IPv4 client must match a network
    // written as ::ffff:a.b.c.d/104. Compare both in their IPv4 form when possible.
    ip::address client = candidate;
    if (client.is_v6() && client.to_v6().is_v4_mapped())
        client = ip::make_address_v4(ip::v4_mapped, client.to_v6());
    ip::address network = address;
    unsigned prefix = prefix_length;
    if (network.is_v6() && network.to_v6().is_v4_mapped() && prefix >= 96) {
        network = ip::make_address_v4(ip::v4_mapped, network.to_v6());
        prefix -= 96;
    }
    if (client.is_v4() && network.is_v4())
        return same_prefix(client.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
    if (client.is_v6() && network.is_v6())
        return same_prefix(client.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
    if (client.is_v4() && network.is_v6())  // "::/0" or "::ffff:0:0/95": compare the mapped form
        return same_prefix(ip::make_address_v6(ip::v4_mapped, client.to_v4()).to_bytes(),
                           network.to_v6().to_bytes(), prefix);
    return false;  // an IPv6 client never matches an IPv4 network
}

}  // namespace mxgate::config
