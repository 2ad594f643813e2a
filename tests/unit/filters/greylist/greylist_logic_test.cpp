// The pure greylisting decisions (RFC 6647 practice): keys, allow-lists, and
// the triplet state machine, with time passed in.
#include <gtest/gtest.h>

#include "filters/greylist/greylist_logic.hpp"
#include "tests/unit/filters/mailbox.hpp"

namespace {

namespace gl = mxgate::filters::greylist;
using namespace std::chrono_literals;
using gl::Action;
using gl::GreylistRecord;
using gl::TimePoint;
namespace ip = boost::asio::ip;

const TimePoint t0{std::chrono::seconds(1'800'000'000)};

TEST(GreylistDecision, FirstAttemptIsDeferredForTheDelay) {
    const gl::GreylistConfig config;
    const auto d = gl::decide_triplet(std::nullopt, t0, config);
    EXPECT_EQ(d.action, Action::defer);
    EXPECT_EQ(d.retry_after, 5min);
    EXPECT_EQ(d.next, (GreylistRecord{t0, t0, 0, t0 + 24h}));
    EXPECT_EQ(d.why, "first attempt");
}

TEST(GreylistDecision, TooEarlyRetryIsDeferredForTheRest) {
    const gl::GreylistConfig config;
    const GreylistRecord first{t0, t0, 0, t0 + 24h};
    const auto d = gl::decide_triplet(first, t0 + 60s, config);
    EXPECT_EQ(d.action, Action::defer);
    EXPECT_EQ(d.retry_after, 240s);
    EXPECT_EQ(d.next.first_seen, t0) << "a too early retry does not restart the delay";
    EXPECT_EQ(d.next.expires_at, t0 + 24h);
    EXPECT_EQ(d.why, "retry too early");
}

TEST(GreylistDecision, RetryWithinWindowPasses) {
    const gl::GreylistConfig config;
    const GreylistRecord first{t0, t0, 0, t0 + 24h};
    for (auto at : {t0 + 5min, t0 + 3h, t0 + 24h - 1s}) {
        const auto d = gl::decide_triplet(first, at, config);
        EXPECT_EQ(d.action, Action::pass);
        EXPECT_TRUE(d.newly_passed);
        EXPECT_EQ(d.next, (GreylistRecord{t0, at, 1, at + config.pass_lifetime}));
    }
}

TEST(GreylistDecision, RetryAfterWindowStartsANewRound) {
    const gl::GreylistConfig config;
    const GreylistRecord first{t0, t0, 0, t0 + 24h};
    const auto d = gl::decide_triplet(first, t0 + 24h, config);
    EXPECT_EQ(d.action, Action::defer);
    EXPECT_EQ(d.next.first_seen, t0 + 24h);
    EXPECT_EQ(d.retry_after, 5min);
}

TEST(GreylistDecision, PassedTripletPassesAndIsRefreshedUntilItsLifetimeEnds) {
    const gl::GreylistConfig config;
    const GreylistRecord passed{t0, t0 + 10min, 1, t0 + 10min + config.pass_lifetime};
    const auto later = t0 + 30 * 24h;
    const auto d = gl::decide_triplet(passed, later, config);
    EXPECT_EQ(d.action, Action::pass);
    EXPECT_FALSE(d.newly_passed);
    EXPECT_EQ(d.next.pass_count, 2u);
    EXPECT_EQ(d.next.expires_at, later + config.pass_lifetime) << "each pass refreshes";
    const auto stale = gl::decide_triplet(passed, t0 + 10min + config.pass_lifetime, config);
    EXPECT_EQ(stale.action, Action::defer) << "not seen for pass_lifetime: greylisted again";
}

TEST(GreylistDecision, ConfiguredDelayAndWindow) {
    gl::GreylistConfig config;
    config.delay = 60s;
    config.window = 1h;
    const GreylistRecord first{t0, t0, 0, t0 + 1h};
    EXPECT_EQ(gl::decide_triplet(first, t0 + 59s, config).action, Action::defer);
    EXPECT_EQ(gl::decide_triplet(first, t0 + 60s, config).action, Action::pass);
    EXPECT_EQ(gl::decide_triplet(first, t0 + 1h, config).action, Action::defer);
}

TEST(GreylistDecision, AutoAllowAfterNPasses) {
    gl::GreylistConfig config;
    std::optional<GreylistRecord> awl;
    for (unsigned i = 0; i < config.auto_allow_after; ++i) {
        EXPECT_FALSE(gl::auto_allowed(awl, config)) << i;
        awl = gl::count_pass(awl, t0 + std::chrono::hours(i), config);
    }
    EXPECT_TRUE(gl::auto_allowed(awl, config));
    EXPECT_EQ(awl->expires_at, t0 + 4h + config.pass_lifetime);
    config.auto_allow_after = 0;
    EXPECT_FALSE(gl::auto_allowed(awl, config)) << "0 turns auto-allow off";
}

TEST(GreylistKeys, SenderAndRecipientAreCaseFolded) {
    EXPECT_EQ(gl::triplet_key("192.0.2.0/24", "Alice@Example.ORG", "Bob@Dest.Example"),
              "gl:192.0.2.0/24|alice@example.org|bob@dest.example");
    EXPECT_EQ(gl::triplet_key("192.0.2.0/24", "alice@example.org", "bob@dest.example"),
              gl::triplet_key("192.0.2.0/24", "ALICE@EXAMPLE.ORG", "BOB@DEST.EXAMPLE"));
}

TEST(GreylistKeys, NullSender) {
    EXPECT_EQ(gl::triplet_key("192.0.2.0/24", "", "bob@dest.example"), "gl:192.0.2.0/24|<>|bob@dest.example");
    EXPECT_EQ(gl::mail_domain({}), "");
    EXPECT_EQ(gl::mail_domain({"Postmaster", ""}), "");
    EXPECT_EQ(gl::mail_domain({"Bounce", "Mail.Example.ORG"}), "mail.example.org");
    EXPECT_EQ(gl::auto_allow_key("192.0.2.0/24", "Example.ORG"), "awl:192.0.2.0/24|example.org");
}

TEST(GreylistSkip, TrustedAllowListsAndSpf) {
    gl::GreylistConfig config;
    config.allow_networks = {*mxgate::settings::parse_network("198.51.100.0/24"), *mxgate::settings::parse_network("2001:db8::/32")};
    config.allow_sender_domains = {"partner.example"};
    config.allow_recipient_domains = {"abuse.example"};
    auto req = [](const char* client, const char* sender, const char* rcpt) {
        return gl::GreylistRequest{ip::make_address(client), false, mxgate::test::mailbox(sender), mxgate::test::mailbox(rcpt), false};
    };
    EXPECT_FALSE(gl::skip_reason(config, req("192.0.2.1", "a@other.example", "b@dest.example")));
    auto trusted = req("192.0.2.1", "a@other.example", "b@dest.example");
    trusted.trusted = true;
    EXPECT_EQ(gl::skip_reason(config, trusted), "trusted");
    EXPECT_EQ(gl::skip_reason(config, req("198.51.100.9", "a@o.example", "b@d.example")), "allow_network");
    EXPECT_EQ(gl::skip_reason(config, req("::ffff:198.51.100.9", "a@o.example", "b@d.example")), "allow_network");
    EXPECT_EQ(gl::skip_reason(config, req("2001:db8:ff::1", "a@o.example", "b@d.example")), "allow_network");
    EXPECT_EQ(gl::skip_reason(config, req("192.0.2.1", "a@PARTNER.example", "b@d.example")), "allow_sender_domain");
    EXPECT_EQ(gl::skip_reason(config, req("192.0.2.1", "a@mx.partner.example", "b@d.example")),
              "allow_sender_domain");
    EXPECT_FALSE(gl::skip_reason(config, req("192.0.2.1", "a@notpartner.example", "b@d.example")));
    EXPECT_EQ(gl::skip_reason(config, req("192.0.2.1", "a@o.example", "postmaster@abuse.example")),
              "allow_recipient_domain");
    auto spf = req("192.0.2.1", "a@o.example", "b@d.example");
    spf.spf_pass = true;
    EXPECT_FALSE(gl::skip_reason(config, spf)) << "skip_spf_pass is off by default";
    config.skip_spf_pass = true;
    EXPECT_EQ(gl::skip_reason(config, spf), "spf_pass");
    auto unknown = req("192.0.2.1", "a@o.example", "b@d.example");
    unknown.client.reset();  // XCLIENT ADDR=[UNAVAILABLE]: no network to key the triplet on
    config.allow_networks = {*mxgate::settings::parse_network("0.0.0.0/0"), *mxgate::settings::parse_network("::/0")};
    EXPECT_EQ(gl::skip_reason(config, unknown), "unknown_client") << "never matches a network";
}

}  // namespace
