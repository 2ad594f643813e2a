// The Authentication-Results field mxgate writes (RFC 8601 §2.2) and the
// authserv-id check behind the removal of forged ones (§5).
#include "filters/auth_results.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters {
namespace {

TEST(AuthResults, OneMethod) {
    EXPECT_EQ(authentication_results_header("mx.example.net", {"spf=pass smtp.mailfrom=x@example.org"}),
              "Authentication-Results: mx.example.net;\r\n\tspf=pass smtp.mailfrom=x@example.org\r\n");
}

TEST(AuthResults, SeveralMethodsAreSeparatedBySemicolons) {
    EXPECT_EQ(authentication_results_header("mx.example.net", {"spf=fail smtp.mailfrom=a@b.example", "dkim=none"}),
              "Authentication-Results: mx.example.net;\r\n\tspf=fail smtp.mailfrom=a@b.example;\r\n\tdkim=none\r\n");
}

TEST(AuthResults, NothingToReportIsNone) {
    EXPECT_EQ(authentication_results_header("mx.example.net", {}), "Authentication-Results: mx.example.net; none\r\n");
}

TEST(AuthResults, LongMethodFoldsAndHostileIdIsQuoted) {
    const std::string long_sender(90, 'a');
    const auto h = authentication_results_header("bad id\r\n", {"spf=pass smtp.mailfrom=" + long_sender + "@example.org x"});
    EXPECT_EQ(h.rfind("Authentication-Results: \"bad id??\";\r\n\t", 0), 0u) << h;
    EXPECT_NE(h.find("\r\n\tx\r\n"), std::string::npos) << h;  // the last word went to its own line
    EXPECT_TRUE(claims_authserv_id(h, "bad id??"));
}

TEST(AuthResults, OurOwnHeaderClaimsOurId) {
    EXPECT_TRUE(claims_authserv_id(authentication_results_header("mx.example.net", {"spf=pass smtp.mailfrom=a@b"}),
                                   "mx.example.net"));
}

TEST(AuthResults, ClaimsAuthservId) {
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.net; spf=pass", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("authentication-results:MX.Example.NET;spf=pass", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.net 1; none", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results:\r\n  (comment (nested)) mx.example.net\r\n ; dkim=pass",
                                   "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: \"mx.example.net\"; spf=fail", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.net", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id(" mx.example.net; spf=pass", "mx.example.net"));  // value only
    EXPECT_FALSE(claims_authserv_id("Authentication-Results: other.example; spf=pass smtp.mailfrom=mx.example.net",
                                    "mx.example.net"));
    EXPECT_FALSE(claims_authserv_id("Authentication-Results: mx.example.net.evil; spf=pass", "mx.example.net"));
    EXPECT_FALSE(claims_authserv_id("Authentication-Results: sub.mx.example.net; spf=pass", "mx.example.net"));
    EXPECT_FALSE(claims_authserv_id("Authentication-Results: (unterminated mx.example.net;", "mx.example.net"));
    // Not RFC 8601 syntax after the id, but a lenient reader still sees our id.
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.net x; spf=pass", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.net dkim=pass", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.net.; dkim=pass", "mx.example.net"));
    EXPECT_TRUE(claims_authserv_id("Authentication-Results\r\n : mx.example.net; dkim=pass", "mx.example.net"));
    EXPECT_FALSE(claims_authserv_id("Authentication-Results: ;", "mx.example.net"));
    EXPECT_FALSE(claims_authserv_id("Authentication-Results: mx.example.net;", ""));
}

}  // namespace
}  // namespace mxgate::filters
