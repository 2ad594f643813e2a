// RateLimitFilter: connections at connect, messages at MAIL FROM, per client
// network per fixed window, with a fake clock and an in-memory store.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "filters/greylist/greylist_registration.hpp"
#include "filters/greylist/rate_limit_filter.hpp"
#include "tests/unit/filters/default_rules.hpp"
#include "tests/unit/filters/finding_attr.hpp"
#include "tests/unit/filters/greylist/memory_store.hpp"
#include "tests/unit/filters/state/test_support.hpp"

namespace {

namespace gl = mxgate::filters::greylist;
namespace f = mxgate::filters;
namespace core = mxgate::core;
using namespace std::chrono_literals;
using mxgate::test::run_sync;
namespace ip = boost::asio::ip;

const gl::TimePoint t0{std::chrono::seconds(1'800'000'000)};  // a window boundary

using mxgate::test::attr;

class RateLimitFilterTest : public ::testing::Test {
protected:
    void SetUp() override {
        config_.max_connections_per_window = 3;
        config_.max_messages_per_window = 2;
        build();
    }
    void build() {
        filter_ = std::make_unique<gl::RateLimitFilter>(std::make_shared<const gl::RateLimitConfig>(config_), store_,
                                                        [this] { return now_; });
    }
    // client nullptr = unknown (XCLIENT ADDR=[UNAVAILABLE])
    core::Finding at(core::Stage stage, const char* client, bool trusted = false) {
        f::TransactionView view;
        if (client != nullptr) view.client_address = ip::make_address(client);
        view.trusted = trusted;
        auto findings = run_sync(io_, filter_->inspect(stage, view));
        EXPECT_EQ(findings.size(), 1u);
        return findings.empty() ? core::Finding{} : findings.front();
    }

    boost::asio::io_context io_;
    gl::RateLimitConfig config_;
    gl::TimePoint now_ = t0;
    std::shared_ptr<mxgate::test::MemoryStore> store_ = std::make_shared<mxgate::test::MemoryStore>();
    std::unique_ptr<gl::RateLimitFilter> filter_;
};

TEST_F(RateLimitFilterTest, ConnectionsPerIpPerMinute) {
    for (int i = 1; i <= 3; ++i) {
        auto finding = at(core::Stage::connect, "192.0.2.10");
        EXPECT_EQ(finding.name, "ratelimit.connections");
        EXPECT_EQ(finding.outcome, core::Outcome::pass);
        EXPECT_EQ(attr(finding, "count"), std::to_string(i));
    }
    auto over = at(core::Stage::connect, "192.0.2.10");
    EXPECT_EQ(over.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(over, "count"), "4");
    EXPECT_EQ(attr(over, "limit"), "3");
    EXPECT_EQ(attr(over, "window"), "60");
    EXPECT_EQ(at(core::Stage::connect, "192.0.2.11").outcome, core::Outcome::pass) << "per address by default";
    now_ = t0 + 60s;
    EXPECT_EQ(at(core::Stage::connect, "192.0.2.10").outcome, core::Outcome::pass) << "a new minute";
    EXPECT_EQ(filter_->counters().over_limit, 1u);
}

TEST_F(RateLimitFilterTest, MessagesCountApartFromConnections) {
    at(core::Stage::connect, "192.0.2.10");
    EXPECT_EQ(at(core::Stage::mail_from, "192.0.2.10").name, "ratelimit.messages");
    EXPECT_EQ(at(core::Stage::mail_from, "192.0.2.10").outcome, core::Outcome::pass);
    auto over = at(core::Stage::mail_from, "192.0.2.10");
    EXPECT_EQ(over.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(over, "count"), "3");
}

TEST_F(RateLimitFilterTest, Ipv6CountsPerSlash64) {
    for (int i = 0; i < 3; ++i) at(core::Stage::connect, "2001:db8::1");
    EXPECT_EQ(at(core::Stage::connect, "2001:db8::ffff").outcome, core::Outcome::fail);
}

TEST_F(RateLimitFilterTest, TrustedIsSkippedAndZeroTurnsALimitOff) {
    for (int i = 0; i < 10; ++i) EXPECT_EQ(at(core::Stage::connect, "192.0.2.10", true).outcome, core::Outcome::skipped);
    config_.max_messages_per_window = 0;
    build();
    EXPECT_TRUE(filter_->runs_at(core::Stage::connect));
    EXPECT_FALSE(filter_->runs_at(core::Stage::mail_from));
    EXPECT_FALSE(filter_->runs_at(core::Stage::rcpt));
}

TEST_F(RateLimitFilterTest, UnknownClientIsSkippedNotCountedUnderAnotherAddress) {
    for (int i = 0; i < 10; ++i) {
        auto finding = at(core::Stage::connect, nullptr);
        EXPECT_EQ(finding.outcome, core::Outcome::skipped);
        EXPECT_EQ(attr(finding, "skip"), "unknown_client");
    }
    EXPECT_EQ(store_->calls, 0u);
    EXPECT_EQ(at(core::Stage::connect, "0.0.0.0").outcome, core::Outcome::pass) << "a real address is counted";
}

TEST_F(RateLimitFilterTest, StoreUnavailableFailsOpenOrClosed) {
    store_->available = false;
    auto open = at(core::Stage::connect, "192.0.2.10");
    EXPECT_EQ(open.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(open, "store"), "unavailable");
    config_.fail_open = false;
    build();
    EXPECT_EQ(at(core::Stage::connect, "192.0.2.10").outcome, core::Outcome::temperror);
}

TEST_F(RateLimitFilterTest, OverALimitMeetsItsDefaultRule) {
    config_.max_connections_per_window = 1;
    config_.max_messages_per_window = 1;
    build();
    at(core::Stage::connect, "192.0.2.10");
    at(core::Stage::mail_from, "192.0.2.10");
    const auto connections = at(core::Stage::connect, "192.0.2.10");
    const auto messages = at(core::Stage::mail_from, "192.0.2.10");
    const auto rules = gl::default_rules(config_);
    const auto* rule = mxgate::test::first_match(rules, core::Stage::connect, connections);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->name, "rate_limit.connections");
    EXPECT_EQ(rule->answer, core::DefaultRule::Answer::disconnect);
    EXPECT_EQ(mxgate::test::rendered_reply(*rule, {connections}),
              "421 4.7.0 Too many connections from your network, try again later");
    rule = mxgate::test::first_match(rules, core::Stage::mail_from, messages);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->name, "rate_limit.messages");
    EXPECT_EQ(rule->answer, core::DefaultRule::Answer::tempfail);
    EXPECT_EQ(mxgate::test::rendered_reply(*rule, {messages}),
              "451 4.7.0 Too many messages from your network, try again later");
}

TEST(RateLimitDefaultRules, ALimitThatIsOffHasNoRuleAndTimeoutsFailOpenOnlyWithFailOpen) {
    gl::RateLimitConfig config;
    auto rules = gl::default_rules(config);
    ASSERT_EQ(rules.size(), 4u);
    EXPECT_EQ(rules[1].name, "rate_limit.fail_open");
    EXPECT_EQ(rules[1].finding, "rate_limit");
    EXPECT_EQ(rules[1].stage, core::Stage::connect);
    EXPECT_EQ(rules[3].stage, core::Stage::mail_from);
    config.max_connections_per_window = 0;
    config.fail_open = false;
    rules = gl::default_rules(config);
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].name, "rate_limit.messages");
}

}  // namespace
