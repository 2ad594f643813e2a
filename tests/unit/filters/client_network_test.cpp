// client_network: the key per-client counts are kept under (greylisting, rate
// limits, connection limits).
#include "filters/client_network.hpp"

#include <gtest/gtest.h>

namespace {

using mxgate::filters::client_network;
namespace ip = boost::asio::ip;

TEST(ClientNetwork, Ipv4MaskedToThePrefix) {
    EXPECT_EQ(client_network(ip::make_address("192.0.2.77"), 24, 64), "192.0.2.0/24");
    EXPECT_EQ(client_network(ip::make_address("192.0.2.77"), 28, 64), "192.0.2.64/28");
    EXPECT_EQ(client_network(ip::make_address("192.0.2.77"), 32, 64), "192.0.2.77/32");
    EXPECT_EQ(client_network(ip::make_address("::ffff:192.0.2.77"), 24, 64), "192.0.2.0/24")
        << "v4-mapped counts as IPv4";
    EXPECT_EQ(client_network(ip::make_address("192.0.2.77"), 99, 999), "192.0.2.77/32") << "clamped";
}

TEST(ClientNetwork, Ipv6HostsOfOneSlash64ShareAKey) {
    const auto key = [](const char* address, unsigned prefix) {
        return client_network(ip::make_address(address), 32, prefix);
    };
    EXPECT_EQ(key("2001:db8:1:2:a:b:c:d", 64), "2001:db8:1:2::/64");
    EXPECT_EQ(key("2001:db8:1:2::1", 64), key("2001:db8:1:2:ffff:ffff:ffff:ffff", 64));
    EXPECT_NE(key("2001:db8:1:2::1", 64), key("2001:db8:1:3::1", 64)) << "the next /64 is another client";
    EXPECT_EQ(key("2001:db8:1:2:a:b:c:d", 48), "2001:db8:1::/48");
    EXPECT_EQ(key("2001:db8:1:2:a:b:c:d", 56), "2001:db8:1::/56");
    EXPECT_EQ(key("2001:db8:1:2:a:b:c:d", 128), "2001:db8:1:2:a:b:c:d/128");
    EXPECT_NE(key("2001:db8::1", 128), key("2001:db8::2", 128)) << "/128 counts each address";
    EXPECT_EQ(key("::1", 64), "::/64");
}

}  // namespace
