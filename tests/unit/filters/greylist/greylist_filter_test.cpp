// GreylistFilter over a store, with a fake clock: the whole RCPT-stage check as
// policy sees it (Finding "greylist"), including auto-allow and the store going away.
#include <filesystem>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "filters/greylist/greylist_filter.hpp"
#include "filters/greylist/greylist_registration.hpp"
#include "filters/state/sqlite_store.hpp"
#include "tests/unit/filters/default_rules.hpp"
#include "tests/unit/filters/finding_attr.hpp"
#include "tests/unit/filters/greylist/memory_store.hpp"
#include "tests/unit/filters/state/test_support.hpp"
#include "tests/unit/filters/mailbox.hpp"

namespace {

namespace gl = mxgate::filters::greylist;
namespace f = mxgate::filters;
namespace core = mxgate::core;
using namespace std::chrono_literals;
using mxgate::test::run_sync;
namespace ip = boost::asio::ip;

const gl::TimePoint t0{std::chrono::seconds(1'800'000'000)};

using mxgate::test::attr;

class GreylistFilterTest : public ::testing::Test {
protected:
    void SetUp() override { build(); }
    void build(std::shared_ptr<mxgate::filters::state::Store> store = nullptr) {
        if (!store) store = store_ = std::make_shared<mxgate::test::MemoryStore>();
        filter_ = std::make_unique<gl::GreylistFilter>(std::make_shared<const gl::GreylistConfig>(config_),
                                                       std::move(store), [this] { return now_; });
    }
    core::Finding check(const char* client, const char* sender, const char* rcpt) {
        return run_sync(io_, filter_->check({ip::make_address(client), false, mxgate::test::mailbox(sender), mxgate::test::mailbox(rcpt), false}));
    }

    boost::asio::io_context io_;
    gl::GreylistConfig config_;
    gl::TimePoint now_ = t0;
    std::shared_ptr<mxgate::test::MemoryStore> store_;
    std::unique_ptr<gl::GreylistFilter> filter_;
};

TEST_F(GreylistFilterTest, FirstAttemptDeferredThenRetryPasses) {
    auto first = check("192.0.2.10", "alice@example.org", "bob@dest.example");
    EXPECT_EQ(first.name, "greylist");
    EXPECT_EQ(first.outcome, core::Outcome::softfail);
    EXPECT_EQ(attr(first, "action"), "<none>");
    EXPECT_EQ(attr(first, "retry_after"), "300");
    const auto rules = gl::default_rules(config_);
    const auto* rule = mxgate::test::first_match(rules, core::Stage::rcpt, first);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->name, "greylist.defer");
    EXPECT_EQ(rule->answer, core::DefaultRule::Answer::tempfail);
    EXPECT_EQ(mxgate::test::rendered_reply(*rule, {first}), "451 4.7.1 Greylisted, please try again in 300 seconds");
    EXPECT_EQ(attr(first, "network"), "192.0.2.0/24");

    now_ = t0 + 100s;
    auto early = check("192.0.2.10", "alice@example.org", "bob@dest.example");
    EXPECT_EQ(early.outcome, core::Outcome::softfail);
    EXPECT_EQ(attr(early, "retry_after"), "200");

    now_ = t0 + 6min;  // a sibling outbound host of the same /24, different case
    auto retry = check("192.0.2.77", "Alice@EXAMPLE.org", "Bob@Dest.Example");
    EXPECT_EQ(retry.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(retry, "via"), "triplet");

    now_ = t0 + 20 * 24h;
    EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
    EXPECT_EQ(filter_->counters().deferred, 2u);
    EXPECT_EQ(filter_->counters().passed, 2u);
}

TEST_F(GreylistFilterTest, OtherNetworkOrTripletIsGreylistedApart) {
    check("192.0.2.10", "alice@example.org", "bob@dest.example");
    now_ = t0 + 6min;
    EXPECT_EQ(check("192.0.3.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::softfail);
    EXPECT_EQ(check("192.0.2.10", "alice@example.org", "carol@dest.example").outcome, core::Outcome::softfail);
    EXPECT_EQ(check("192.0.2.10", "eve@example.org", "bob@dest.example").outcome, core::Outcome::softfail);
}

TEST_F(GreylistFilterTest, Ipv6UsesTheSlash64) {
    check("2001:db8:1:2::25", "alice@example.org", "bob@dest.example");
    now_ = t0 + 6min;
    EXPECT_EQ(check("2001:db8:1:2:ffff::1", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
    EXPECT_EQ(check("2001:db8:1:3::25", "alice@example.org", "bob@dest.example").outcome, core::Outcome::softfail);
}

TEST_F(GreylistFilterTest, RetryAfterWindowIsDeferredAgain) {
    check("192.0.2.10", "alice@example.org", "bob@dest.example");
    now_ = t0 + 25h;
    auto late = check("192.0.2.10", "alice@example.org", "bob@dest.example");
    EXPECT_EQ(late.outcome, core::Outcome::softfail);
    EXPECT_EQ(attr(late, "retry_after"), "300");
}

TEST_F(GreylistFilterTest, AutoAllowAfterFivePassedDeliveries) {
    for (int i = 0; i < 5; ++i) {
        const std::string rcpt = "user" + std::to_string(i) + "@dest.example";
        now_ = t0 + std::chrono::hours(i);
        EXPECT_EQ(check("192.0.2.10", "alice@example.org", rcpt.c_str()).outcome, core::Outcome::softfail);
        now_ += 10min;
        EXPECT_EQ(check("192.0.2.10", "alice@example.org", rcpt.c_str()).outcome, core::Outcome::pass);
    }
    auto fresh = check("192.0.2.99", "newcomer@Example.org", "someone-new@dest.example");
    EXPECT_EQ(fresh.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(fresh, "via"), "auto_allow");
    EXPECT_EQ(filter_->counters().auto_allowed, 1u);
    EXPECT_EQ(check("192.0.3.1", "x@example.org", "y@dest.example").outcome, core::Outcome::softfail)
        << "another network is not auto-allowed";
    EXPECT_EQ(check("192.0.2.1", "x@other.example", "y@dest.example").outcome, core::Outcome::softfail)
        << "another sender domain is not auto-allowed";
}

TEST_F(GreylistFilterTest, AnActiveSenderIsNotRewrittenOnEveryMessage) {
    config_.auto_allow_after = 0;  // the triplet path alone
    build();
    now_ = t0;
    check("192.0.2.10", "alice@example.org", "bob@dest.example");
    now_ += 10min;
    ASSERT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
    // Within a minute of the last renewal: one read, no write.
    now_ += 30s;
    const auto before = store_->calls;
    EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
    EXPECT_EQ(store_->calls - before, 1u);
    // Later: read and renew, so the triplet stays known for pass_lifetime from now.
    now_ += 2min;
    const auto later = store_->calls;
    EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
    EXPECT_EQ(store_->calls - later, 2u);
    now_ += config_.pass_lifetime - 1s;
    EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
}

TEST_F(GreylistFilterTest, NullSenderIsGreylistedButNeverAutoAllowed) {
    for (int i = 0; i < 6; ++i) {
        const std::string rcpt = "user" + std::to_string(i) + "@dest.example";
        now_ = t0 + std::chrono::hours(i);
        EXPECT_EQ(check("192.0.2.10", "", rcpt.c_str()).outcome, core::Outcome::softfail) << i;
        now_ += 10min;
        EXPECT_EQ(attr(check("192.0.2.10", "", rcpt.c_str()), "via"), "triplet");
    }
}

TEST_F(GreylistFilterTest, ExpiredEntriesAreSweptAndGreylistedAgain) {
    check("192.0.2.10", "alice@example.org", "bob@dest.example");
    now_ = t0 + 6min;
    check("192.0.2.10", "alice@example.org", "bob@dest.example");
    ASSERT_EQ(store_->size(), 2u);  // the triplet and the auto-allow counter
    now_ = t0 + 6min + config_.pass_lifetime;
    EXPECT_EQ(*run_sync(io_, store_->expire(now_)), 2u);
    EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::softfail);
}

TEST_F(GreylistFilterTest, SkippedForTrustedAndAllowListed) {
    config_.allow_sender_domains = {"partner.example"};
    build();
    auto trusted = run_sync(io_, filter_->check({ip::make_address("192.0.2.10"), true, "a@x.example", "b@y.example"}));
    EXPECT_EQ(trusted.outcome, core::Outcome::skipped);
    EXPECT_EQ(attr(trusted, "skip"), "trusted");
    EXPECT_EQ(attr(check("192.0.2.10", "a@partner.example", "b@y.example"), "skip"), "allow_sender_domain");
    EXPECT_EQ(store_->calls, 0u) << "skips never touch the store";
}

TEST_F(GreylistFilterTest, StoreUnavailableFailsOpenByDefault) {
    store_->available = false;
    auto finding = check("192.0.2.10", "alice@example.org", "bob@dest.example");
    EXPECT_EQ(finding.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(finding, "store"), "unavailable");
    EXPECT_EQ(filter_->counters().store_unavailable, 1u);
}

TEST_F(GreylistFilterTest, StoreUnavailableFailsClosedWhenConfigured) {
    config_.fail_open = false;
    build();
    store_->available = false;
    auto finding = check("192.0.2.10", "alice@example.org", "bob@dest.example");
    EXPECT_EQ(finding.outcome, core::Outcome::temperror);
    EXPECT_EQ(attr(finding, "store"), "unavailable");
}

TEST_F(GreylistFilterTest, InspectRunsAtRcptWithTheView) {
    EXPECT_TRUE(filter_->runs_at(core::Stage::rcpt));
    EXPECT_FALSE(filter_->runs_at(core::Stage::mail_from));
    f::TransactionView view;
    view.client_address = ip::make_address("192.0.2.10");
    view.sender = mxgate::test::mailbox("alice@example.org");
    view.recipient = mxgate::test::mailbox("bob@dest.example");
    auto findings = run_sync(io_, filter_->inspect(core::Stage::rcpt, view));
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, core::Outcome::softfail);
}

TEST_F(GreylistFilterTest, SpfPassSkipsWhenConfiguredThroughTheViewHook) {
    config_.skip_spf_pass = true;
    filter_ = std::make_unique<gl::GreylistFilter>(std::make_shared<const gl::GreylistConfig>(config_), store_,
                                                   [this] { return now_; },
                                                   [](const f::TransactionView&) { return true; });
    f::TransactionView view;
    view.client_address = ip::make_address("192.0.2.10");
    view.sender = mxgate::test::mailbox("alice@example.org");
    view.recipient = mxgate::test::mailbox("bob@dest.example");
    auto findings = run_sync(io_, filter_->inspect(core::Stage::rcpt, view));
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(attr(findings[0], "skip"), "spf_pass");
    EXPECT_TRUE(gl::spf_passed({{"spf", core::Outcome::pass, {}, ""}}));
    EXPECT_FALSE(gl::spf_passed({{"spf", core::Outcome::softfail, {}, ""}}));
}

TEST_F(GreylistFilterTest, WorksOverSqliteStore) {
    const auto path =
        std::filesystem::temp_directory_path() / ("mxgate-greylist-" + std::to_string(::getpid()) + ".db");
    {
        build(std::make_shared<mxgate::filters::state::SqliteStore>(
            mxgate::filters::state::SqliteConfig{path.string()}, "gl-test:"));
        EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::softfail);
        now_ = t0 + 6min;
        EXPECT_EQ(check("192.0.2.10", "alice@example.org", "bob@dest.example").outcome, core::Outcome::pass);
        filter_.reset();
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

TEST(GreylistDefaultRules, ATimeoutFailsOpenOnlyWithFailOpen) {
    gl::GreylistConfig config;
    const core::Finding timeout{"greylist", core::Outcome::temperror, {{"error", "timeout"}}, "timeout"};
    const core::Finding thrown{"greylist", core::Outcome::temperror, {{"error", "exception"}}, "bug"};
    auto rules = gl::default_rules(config);
    ASSERT_EQ(rules.size(), 2u);
    const auto* rule = mxgate::test::first_match(rules, core::Stage::rcpt, timeout);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->name, "greylist.fail_open");
    EXPECT_EQ(rule->answer, core::DefaultRule::Answer::proceed);
    EXPECT_EQ(mxgate::test::first_match(rules, core::Stage::rcpt, thrown), nullptr);
    config.fail_open = false;
    rules = gl::default_rules(config);
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].name, "greylist.defer");
}

}  // namespace
