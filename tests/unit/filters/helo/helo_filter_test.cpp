// HeloFilter as policy sees it: the "helo" Finding, its Postfix-like replies,
// which switch refuses what, trusted clients skipped, the stage it runs at.
#include "filters/helo/helo_filter.hpp"
#include "filters/helo/helo_registration.hpp"

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "tests/unit/filters/default_rules.hpp"
#include "tests/unit/filters/finding_attr.hpp"

namespace mxgate::filters::helo {
namespace {

using mxgate::test::attr;

// The reply the settings' default rules give this greeting: "" when none refuses it.
std::string reply_for(std::string_view helo, const HeloConfig& config) {
    const core::Finding f = HeloFilter::check(helo, false, config);
    const auto rules = default_rules(config);
    const auto* rule = test::first_match(rules, core::Stage::helo, f);
    return rule ? test::rendered_reply(*rule, {f}) : "";
}

HeloConfig both_checks() {
    HeloConfig config;
    config.reject_non_fqdn_hostname = true;
    return config;
}

TEST(HeloFilter, InvalidNameIsRefusedWith501) {
    const core::Finding f = HeloFilter::check("x(bad)", false, HeloConfig{});
    EXPECT_EQ(f.name, "helo");
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(f, "check"), "invalid_hostname");
    EXPECT_EQ(attr(f, "shown_name"), "x(bad)");
    EXPECT_EQ(attr(f, "action"), "<none>");
    EXPECT_EQ(attr(f, "reply"), "<none>");
    EXPECT_FALSE(f.reason.empty());
    EXPECT_EQ(reply_for("x(bad)", HeloConfig{}), "501 5.5.2 <x(bad)>: Helo command rejected: Invalid name");
}

TEST(HeloFilter, EchoedNameIsMadePrintableAndShort) {
    const std::string reply = reply_for("bad\x01name" + std::string(300, 'a'), HeloConfig{});
    EXPECT_EQ(reply.rfind("501 5.5.2 <bad\\x01name", 0), 0u) << reply;
    EXPECT_LT(reply.size(), 200u) << reply;
}

TEST(HeloFilter, SingleLabelPassesUnlessNonFqdnIsRefused) {
    EXPECT_EQ(HeloFilter::check("localhost", false, HeloConfig{}).outcome, core::Outcome::pass);
    const core::Finding f = HeloFilter::check("localhost", false, both_checks());
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(f, "check"), "non_fqdn_hostname");
    EXPECT_EQ(reply_for("localhost", both_checks()),
              "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname");
}

TEST(HeloFilter, NonFqdnAloneAlsoRefusesInvalidNames) {
    HeloConfig config = both_checks();
    config.reject_invalid_hostname = false;
    EXPECT_EQ(reply_for("x(bad)", config).substr(0, 9), "504 5.5.2");
    config.reject_non_fqdn_hostname = false;
    const core::Finding f = HeloFilter::check("x(bad)", false, config);
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_TRUE(f.attrs.empty());
}

TEST(HeloFilter, FqdnAndLiteralsPass) {
    for (const char* name : {"mail.example.org", "mail.example.org.", "[192.0.2.1]", "[IPv6:2001:db8::1]"})
        EXPECT_EQ(HeloFilter::check(name, false, both_checks()).outcome, core::Outcome::pass) << name;
}

TEST(HeloFilter, TrustedClientsAreSkippedUnlessSaidOtherwise) {
    const core::Finding f = HeloFilter::check("x(bad)", true, both_checks());
    EXPECT_EQ(f.outcome, core::Outcome::skipped);
    EXPECT_EQ(attr(f, "skip"), "trusted");
    HeloConfig config = both_checks();
    config.skip_trusted = false;
    EXPECT_EQ(HeloFilter::check("x(bad)", true, config).outcome, core::Outcome::fail);
}

TEST(HeloDefaultRules, OneRefusalPerCheckTurnedOn) {
    HeloConfig config = both_checks();
    auto rules = default_rules(config);
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].name, "helo.reject_invalid_hostname");
    EXPECT_EQ(rules[0].code, 501);
    EXPECT_EQ(rules[1].name, "helo.reject_non_fqdn_hostname");
    EXPECT_EQ(rules[1].code, 504);
    for (const auto& rule : rules) {
        EXPECT_EQ(rule.stage, core::Stage::helo);
        EXPECT_EQ(rule.answer, core::DefaultRule::Answer::reject);
        EXPECT_EQ(rule.enhanced, "5.5.2");
    }
    config.reject_invalid_hostname = false;
    config.reject_non_fqdn_hostname = false;
    EXPECT_TRUE(default_rules(config).empty());
}

TEST(HeloFilter, RunsAtTheHeloStageOnly) {
    HeloFilter filter(std::make_shared<const HeloConfig>());
    for (core::Stage stage : {core::Stage::connect, core::Stage::mail_from, core::Stage::rcpt, core::Stage::end_of_data})
        EXPECT_FALSE(filter.runs_at(stage));
    ASSERT_TRUE(filter.runs_at(core::Stage::helo));
    TransactionView view;
    view.helo = "a..b";
    boost::asio::io_context io;
    std::optional<std::vector<core::Finding>> out;
    boost::asio::co_spawn(io, filter.inspect(core::Stage::helo, view), [&](std::exception_ptr e, std::vector<core::Finding> f) {
        if (e) std::rethrow_exception(e);
        out = std::move(f);
    });
    io.run();
    ASSERT_TRUE(out.has_value());
    ASSERT_EQ(out->size(), 1u);
    EXPECT_EQ((*out)[0].outcome, core::Outcome::fail);
}

}  // namespace
}  // namespace mxgate::filters::helo
