#include "proxy/session/router.hpp"

#include <gtest/gtest.h>

namespace mxgate::session {
namespace {

class RouterTest : public ::testing::Test {
protected:
    RouterTest() {
        config_.backends["mx"].name = "mx";
        config_.backends["store"].name = "store";
        config_.backends["relay"].name = "relay";
        config_.domains = {{"example.org", "mx"}, {".example.net", "store"}, {"*", "relay"}};
    }
    Route route(std::string local, std::string domain, bool trusted) {
        const core::Address address{std::move(local), std::move(domain), false};
        return Router(config_).route(address, trusted);
    }
    config::Config config_;
};

TEST_F(RouterTest, ServedDomainIsCaseInsensitive) {
    Route r = route("a", "Example.ORG", false);
    ASSERT_NE(r.backend, nullptr);
    EXPECT_EQ(r.backend->name, "mx");
}

TEST_F(RouterTest, DotPrefixMatchesSubdomainsOnly) {
    EXPECT_EQ(route("a", "mail.example.net", false).backend->name, "store");
    EXPECT_EQ(route("a", "deep.mail.example.net", false).backend->name, "store");
    Route parent = route("a", "example.net", false);
    EXPECT_EQ(parent.backend, nullptr);
    EXPECT_EQ(parent.refusal.code, 550);
}

TEST_F(RouterTest, RelayDeniedForUntrustedClients) {
    Route r = route("a", "elsewhere.test", false);
    EXPECT_EQ(r.backend, nullptr);
    EXPECT_EQ(r.refusal.code, 550);
    EXPECT_EQ(r.refusal.enhanced, "5.7.1");
}

TEST_F(RouterTest, TrustedClientsUseTheWildcardRoute) {
    EXPECT_EQ(route("a", "elsewhere.test", true).backend->name, "relay");
    config_.domains.erase("*");
    Route none = route("a", "elsewhere.test", true);
    EXPECT_EQ(none.backend, nullptr);
    EXPECT_EQ(none.refusal.enhanced, "5.4.4");
}

TEST_F(RouterTest, PostmasterWithoutDomain) {
    const core::Address address{"Postmaster", "", false};
    Route r = Router(config_).route(address, false);
    ASSERT_NE(r.backend, nullptr);
    EXPECT_EQ(r.backend->name, "mx");
    EXPECT_EQ(r.recipient.str(), "postmaster@example.org") << "the address to deliver to";
    EXPECT_EQ(address.str(), "Postmaster") << "the input stays as given";
    EXPECT_EQ(route("a", "Example.ORG", false).recipient.str(), "a@Example.ORG") << "others are kept as given";
}

TEST_F(RouterTest, PostmasterNeedsAServedDomain) {
    config_.domains = {{".example.net", "store"}, {"*", "relay"}};
    Route r = route("Postmaster", "", true);
    EXPECT_EQ(r.backend, nullptr);
    EXPECT_EQ(r.refusal.wire(), "550 5.1.1 Error: no postmaster here\r\n");
}

TEST(RoutingSyntax, PercentBangAndQuotedAt) {
    for (const char* local : {"victim%evil.example", "evil.example!victim", "\"victim@evil.example\"",
                              "\"a\\@b\"", "\"a%b\"", "a!b%c"})
        EXPECT_TRUE(has_routing_syntax(local)) << local;
    for (const char* local : {"victim", "first.last", "a+tag", "\"with space\"", "a=b", "postmaster"})
        EXPECT_FALSE(has_routing_syntax(local)) << local;
}

TEST_F(RouterTest, RoutingSyntaxRefusedForUntrustedClients) {
    for (const char* local : {"victim%evil.example", "evil.example!victim", "\"victim@evil.example\""}) {
        Route r = route(local, "example.org", false);
        EXPECT_EQ(r.backend, nullptr) << local;
        EXPECT_TRUE(r.untrusted_routing) << local;
        EXPECT_EQ(r.refusal.code, 550) << local;
        EXPECT_EQ(r.refusal.enhanced, "5.7.1") << local;
    }
    EXPECT_FALSE(route("victim", "example.org", false).untrusted_routing);
}

TEST_F(RouterTest, RoutingSyntaxAllowedForTrustedClientsAndByTheBackend) {
    EXPECT_EQ(route("victim%evil.example", "example.org", true).backend->name, "mx");
    config_.backends["mx"].allow_untrusted_routing = true;
    Route allowed = route("victim%evil.example", "example.org", false);
    ASSERT_NE(allowed.backend, nullptr);
    EXPECT_EQ(allowed.backend->name, "mx");
    EXPECT_EQ(route("a!b", "mail.example.net", false).backend, nullptr) << "the switch is per backend";
}

}  // namespace
}  // namespace mxgate::session
