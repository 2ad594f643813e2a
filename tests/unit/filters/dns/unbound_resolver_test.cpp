// UnboundResolver::create on settings it must refuse; no peer needed. The
// resolver against real DNS servers is in
// tests/integration/native/filters/dns/unbound_resolver_test.cpp.
#include "filters/dns/unbound_resolver.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::dns {
namespace {

using namespace std::chrono_literals;

TEST(DnsUnboundResolverConfig, BadSettingsAreReported) {
    DnsConfig config;
    config.servers = {"not an address"};
    config.timeout = 0ms;
    config.dnssec = true;
    config.dnssec_trust_anchor_file = "/nonexistent/root.key";
    auto created = UnboundResolver::create(config);
    EXPECT_FALSE(created.resolver);
    ASSERT_EQ(created.errors.size(), 3u);
    EXPECT_NE(created.errors[0].find("dns.dnssec_trust_anchor_file"), std::string::npos);
    EXPECT_NE(created.errors[1].find("dns.servers"), std::string::npos);
    EXPECT_NE(created.errors[2].find("dns.timeout"), std::string::npos);
}

}  // namespace
}  // namespace mxgate::filters::dns
