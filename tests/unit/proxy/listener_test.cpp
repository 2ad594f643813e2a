// The connection limits that apply before a session starts: per client network
// (limits.connection_limit_ipv4_prefix / _ipv6_prefix) and in total.
#include "proxy/listener.hpp"

#include <gtest/gtest.h>

namespace mxgate {
namespace {

namespace ip = boost::asio::ip;

std::string key(const char* address, const config::Limits& limits = {}) {
    return connection_limit_key(ip::make_address(address), limits);
}

TEST(ConnectionLimitKey, DefaultsArePerIpv4AddressAndPerIpv6Slash64) {
    EXPECT_EQ(key("192.0.2.7"), "192.0.2.7/32");
    EXPECT_EQ(key("::ffff:192.0.2.7"), "192.0.2.7/32");
    EXPECT_EQ(key("2001:db8:1:2::7"), "2001:db8:1:2::/64");
    EXPECT_EQ(key("2001:db8:1:2:ffff::1"), key("2001:db8:1:2::7"));
}

TEST(ConnectionLimitKey, PrefixesFromTheConfig) {
    config::Limits limits;
    limits.connection_limit_ipv4_prefix = 24;
    limits.connection_limit_ipv6_prefix = 128;
    EXPECT_EQ(key("192.0.2.7", limits), "192.0.2.0/24");
    EXPECT_EQ(key("2001:db8:1:2::7", limits), "2001:db8:1:2::7/128");
}

TEST(ConnectionLimiter, OneSlash64IsOneClient) {
    config::Limits limits;
    limits.max_connections_per_ip = 2;
    ConnectionLimiter limiter;
    EXPECT_TRUE(limiter.try_acquire(key("2001:db8:1:2::1"), limits));
    EXPECT_TRUE(limiter.try_acquire(key("2001:db8:1:2::2"), limits));
    EXPECT_FALSE(limiter.try_acquire(key("2001:db8:1:2::3"), limits)) << "a third address of the same /64";
    EXPECT_TRUE(limiter.try_acquire(key("2001:db8:1:3::1"), limits)) << "another /64";
    EXPECT_EQ(limiter.total(), 3u);
    limiter.release(key("2001:db8:1:2::1"));
    EXPECT_TRUE(limiter.try_acquire(key("2001:db8:1:2::9"), limits)) << "a slot of the /64 is free again";
}

TEST(ConnectionLimiter, TotalLimitAndReleaseOfUnknownKeys) {
    config::Limits limits;
    limits.max_connections = 2;
    ConnectionLimiter limiter;
    EXPECT_TRUE(limiter.try_acquire(key("192.0.2.1"), limits));
    EXPECT_TRUE(limiter.try_acquire(key("192.0.2.2"), limits));
    EXPECT_FALSE(limiter.try_acquire(key("192.0.2.3"), limits));
    limiter.release(key("198.51.100.1"));  // never acquired: no effect
    EXPECT_EQ(limiter.total(), 2u);
}

}  // namespace
}  // namespace mxgate
