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
        smtp::Address address{std::move(local), std::move(domain), false};
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
    smtp::Address address{"Postmaster", "", false};
    Route r = Router(config_).route(address, false);
    ASSERT_NE(r.backend, nullptr);
    EXPECT_EQ(address.str(), "postmaster@example.org");
}

}  // namespace
}  // namespace mxgate::session
