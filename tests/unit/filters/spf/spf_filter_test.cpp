// SpfFilter as policy sees it: the "spf" Finding, its attrs and default rules,
// the HELO identity for <>, trusted clients skipped, the stage it runs at.
#include "filters/spf/spf_filter.hpp"
#include "filters/spf/spf_registration.hpp"

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "tests/unit/filters/default_rules.hpp"
#include "tests/unit/filters/dns/scripted_resolver.hpp"
#include "tests/unit/filters/finding_attr.hpp"
#include "tests/unit/filters/mailbox.hpp"

namespace mxgate::filters::spf {
namespace {

namespace asio = boost::asio;
using dns::RecordType;

using mxgate::test::attr;

class SpfFilterTest : public ::testing::Test {
protected:
    SpfFilterTest() {
        dns_.add("example.org", RecordType::txt, {"v=spf1 ip4:192.0.2.0/24 -all exp=why.example.org"});
        dns_.add("why.example.org", RecordType::txt, {"%{i} is not one of %{d}'s servers"});
        dns_.add("mail.example.org", RecordType::txt, {"v=spf1 ip4:192.0.2.0/24 -all"});
        dns_.fail("broken.example.org", RecordType::txt, dns::Status::servfail);
        config_.receiver = "mx.example.net";
    }
    std::vector<core::Finding> inspect(core::Stage stage, const char* ip, const char* helo, const char* sender,
                                 bool trusted = false) {
        SpfFilter filter(std::make_shared<const SpfConfig>(config_), dns_);
        TransactionView view;
        if (ip != nullptr) view.client_address = asio::ip::make_address(ip);  // nullptr: unknown
        view.helo = helo;
        view.sender = test::mailbox(sender);
        view.trusted = trusted;
        asio::io_context io;
        std::optional<std::vector<core::Finding>> out;
        asio::co_spawn(io, filter.inspect(stage, view), [&](std::exception_ptr e, std::vector<core::Finding> f) {
            if (!e) out = std::move(f);
        });
        io.run();
        skipped_ = filter.skipped();
        return out.value_or(std::vector<core::Finding>{});
    }

    // The reply config_'s default rules give found[i]: "" when no rule answers it,
    // "proceed" when one says it proceeds.
    std::string reply_for(const std::vector<core::Finding>& found, std::size_t i = 0) const {
        const auto rules = default_rules(config_);
        const auto* rule = test::first_match(rules, core::Stage::mail_from, found.at(i));
        if (rule == nullptr) return "";
        if (rule->answer == core::DefaultRule::Answer::proceed) return "proceed";
        return test::rendered_reply(*rule, found);
    }

    test::ScriptedResolver dns_;
    SpfConfig config_;
    std::uint64_t skipped_ = 0;
};

TEST_F(SpfFilterTest, CutOffByTheStageDeadlineItIsATemperrorThatOnTemperrorAnswers) {
    const auto timed_out = [&] {
        SpfFilter filter(std::make_shared<const SpfConfig>(config_), dns_);
        return filter.timed_out(core::Stage::mail_from);
    };
    auto findings = timed_out();  // default on_temperror: tempfail 451 4.7.24
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].name, "spf");
    EXPECT_EQ(findings[0].outcome, core::Outcome::temperror);
    EXPECT_EQ(findings[0].reason, "timeout");
    EXPECT_EQ(attr(findings[0], "action"), "<none>");
    EXPECT_EQ(reply_for(findings), "451 4.7.24 SPF DNS lookup failed, try again later");
    config_.on_temperror = spf_action(SpfAction::Kind::proceed, true);
    EXPECT_EQ(reply_for(timed_out()), "proceed") << "fails open";
}

TEST_F(SpfFilterTest, RunsAtMailFromOnly) {
    SpfFilter filter(std::make_shared<const SpfConfig>(config_), dns_);
    EXPECT_EQ(filter.name(), "spf");
    EXPECT_TRUE(filter.runs_at(core::Stage::mail_from));
    EXPECT_FALSE(filter.runs_at(core::Stage::rcpt));
    EXPECT_FALSE(filter.runs_at(core::Stage::helo));
    EXPECT_TRUE(inspect(core::Stage::rcpt, "192.0.2.1", "mail.example.org", "a@example.org").empty());
}

TEST_F(SpfFilterTest, PassFinding) {
    auto found = inspect(core::Stage::mail_from, "192.0.2.1", "mail.example.org", "a@example.org");
    ASSERT_EQ(found.size(), 2u) << "MAIL FROM, then the HELO name";
    const auto& f = found[0];
    EXPECT_EQ(f.name, "spf");
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(f, "identity"), "mailfrom");
    EXPECT_EQ(attr(f, "domain"), "example.org");
    EXPECT_EQ(attr(f, "client_ip"), "192.0.2.1");
    EXPECT_EQ(attr(f, "explanation"), "");
    EXPECT_EQ(attr(f, "explains"), "");
    EXPECT_EQ(attr(f, "action"), "<none>");
    EXPECT_EQ(attr(f, "reply"), "<none>");
    EXPECT_EQ(reply_for(found), "");
    EXPECT_EQ(attr(f, "auth_results"), "spf=pass smtp.mailfrom=a@example.org");
    EXPECT_EQ(attr(f, "add_header").rfind("Received-SPF: pass (mx.example.net: domain of a@example.org", 0), 0u);
}

// RFC 7208 §2.3: the HELO identity checked too, reported as "spf.helo".
TEST_F(SpfFilterTest, HeloNameIsCheckedAsWell) {
    auto found = inspect(core::Stage::mail_from, "192.0.2.1", "mail.example.org", "a@example.org");
    ASSERT_EQ(found.size(), 2u);
    const auto& h = found[1];
    EXPECT_EQ(h.name, "spf.helo");
    EXPECT_EQ(h.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(h, "identity"), "helo");
    EXPECT_EQ(attr(h, "domain"), "mail.example.org");
    EXPECT_EQ(attr(h, "shown_domain"), "mail.example.org");
    EXPECT_EQ(attr(h, "auth_results"), "spf=pass smtp.helo=mail.example.org");
    EXPECT_EQ(attr(h, "add_header"), "<none>") << "one Received-SPF, for MAIL FROM";
}

TEST_F(SpfFilterTest, HeloFailRejectsNamingTheHeloName) {
    dns_.add("pass.example.net", RecordType::txt, {"v=spf1 +all"});
    auto found = inspect(core::Stage::mail_from, "203.0.113.1", "mail.example.org", "a@pass.example.net");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].outcome, core::Outcome::pass) << "MAIL FROM passes";
    EXPECT_EQ(found[1].outcome, core::Outcome::fail);
    EXPECT_EQ(reply_for(found, 1), "550 5.7.23 SPF validation failed for HELO mail.example.org");
    config_.on_helo_fail = spf_action(SpfAction::Kind::proceed, false);
    found = inspect(core::Stage::mail_from, "203.0.113.1", "mail.example.org", "a@pass.example.net");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(reply_for(found, 1), "");
}

TEST_F(SpfFilterTest, HeloThatIsNoDomainOrCheckHeloOffIsNotChecked) {
    for (const char* helo : {"[192.0.2.1]", "192.0.2.1", "localhost", ""}) {
        auto found = inspect(core::Stage::mail_from, "192.0.2.1", helo, "a@example.org");
        ASSERT_EQ(found.size(), 1u) << helo;
        EXPECT_EQ(found[0].name, "spf");
    }
    config_.check_helo = false;
    EXPECT_EQ(inspect(core::Stage::mail_from, "192.0.2.1", "mail.example.org", "a@example.org").size(), 1u);
}

TEST_F(SpfFilterTest, FailRejectsWith550_5_7_23) {
    const auto found = inspect(core::Stage::mail_from, "203.0.113.1", "mail.example.org", "a@example.org");
    const auto& f = found.at(0);
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(f, "explains"), "; example.org explains: 203.0.113.1 is not one of example.org's servers");
    EXPECT_EQ(reply_for(found),
              "550 5.7.23 SPF validation failed; example.org explains: 203.0.113.1 is not one of example.org's servers");
    EXPECT_EQ(attr(f, "explanation"), "203.0.113.1 is not one of example.org's servers");
}

TEST_F(SpfFilterTest, FailWithoutExplanationSaysOnlyOurText) {
    // RFC 7208 §6.2 lets a verifier give an empty explanation when there is no exp=.
    const auto found = inspect(core::Stage::mail_from, "203.0.113.1", "x.example.org", "a@mail.example.org");
    const auto& f = found.at(0);
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(f, "explains"), "");
    EXPECT_EQ(reply_for(found), "550 5.7.23 SPF validation failed");
    EXPECT_EQ(attr(f, "explanation"), "");
}

TEST_F(SpfFilterTest, TemperrorTempfailsWith451_4_7_24) {
    const auto found = inspect(core::Stage::mail_from, "203.0.113.1", "mail.example.org", "a@broken.example.org");
    EXPECT_EQ(found.at(0).outcome, core::Outcome::temperror);
    EXPECT_EQ(reply_for(found), "451 4.7.24 SPF DNS lookup failed, try again later");
}

TEST_F(SpfFilterTest, NullSenderUsesHelo) {
    auto f = inspect(core::Stage::mail_from, "192.0.2.1", "mail.example.org", "").at(0);
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(f, "identity"), "helo");
    EXPECT_EQ(attr(f, "domain"), "mail.example.org");
    EXPECT_EQ(attr(f, "auth_results"), "spf=pass smtp.helo=mail.example.org");
}

TEST_F(SpfFilterTest, TrustedClientSkipped) {
    const int before = dns_.asked();
    auto f = inspect(core::Stage::mail_from, "203.0.113.1", "mail.example.org", "a@example.org", true).at(0);
    EXPECT_EQ(f.outcome, core::Outcome::skipped);
    EXPECT_EQ(attr(f, "skip"), "trusted");
    EXPECT_EQ(skipped_, 1u);
    EXPECT_EQ(dns_.asked(), before);
}

TEST_F(SpfFilterTest, UnknownClientSkipped) {
    const int before = dns_.asked();
    auto findings = inspect(core::Stage::mail_from, nullptr, "mail.example.org", "a@example.org");
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, core::Outcome::skipped);
    EXPECT_EQ(attr(findings[0], "skip"), "unknown_client");
    EXPECT_EQ(attr(findings[0], "add_header"), "<none>") << "no Received-SPF about an address nobody knows";
    EXPECT_EQ(skipped_, 1u);
    EXPECT_EQ(dns_.asked(), before);
}

// The receiver gets its default in one place, the defaults hook, from server.hostname.
TEST_F(SpfFilterTest, EmptyReceiverBecomesServerHostname) {
    config_.receiver.clear();
    apply_defaults(config_, FilterDefaults{"mx.example.net"});
    EXPECT_EQ(config_.receiver, "mx.example.net");
    config_.receiver = "spf.example.net";
    apply_defaults(config_, FilterDefaults{"mx.example.net"});
    EXPECT_EQ(config_.receiver, "spf.example.net");
}

std::vector<std::string> names(const std::vector<core::DefaultRule>& rules) {
    std::vector<std::string> out;
    for (const auto& rule : rules) out.push_back(rule.name);
    return out;
}

TEST(SpfDefaultRules, TheDefaultsRefuseFailsAndDeferTemperrors) {
    const auto rules = default_rules(SpfConfig{});
    EXPECT_EQ(names(rules), (std::vector<std::string>{"spf.on_fail", "spf.on_temperror", "spf.on_helo_fail",
                                                       "spf.check_helo"}));
    EXPECT_EQ(rules[0].finding, "spf");
    EXPECT_EQ(rules[0].stage, core::Stage::mail_from);
    EXPECT_EQ(rules[0].outcomes, std::vector<core::Outcome>{core::Outcome::fail});
    EXPECT_EQ(rules[0].answer, core::DefaultRule::Answer::reject);
    EXPECT_EQ(rules[0].text, "SPF validation failed{spf.explains}");
    EXPECT_EQ(rules[1].answer, core::DefaultRule::Answer::tempfail);
    EXPECT_EQ(rules[1].code, 451);
    EXPECT_EQ(rules[1].enhanced, "4.7.24");
    EXPECT_EQ(rules[2].finding, "spf.helo");
    EXPECT_EQ(rules[3].finding, "spf.helo");
    EXPECT_EQ(rules[3].outcomes, std::vector<core::Outcome>{core::Outcome::temperror});
    EXPECT_EQ(rules[3].answer, core::DefaultRule::Answer::proceed) << "the HELO check's temperror fails open";
}

TEST(SpfDefaultRules, ProceedGivesNoRuleButATemperrorDeclaresFailOpen) {
    SpfConfig config;
    config.on_fail = spf_action(SpfAction::Kind::proceed, false);
    config.on_temperror = spf_action(SpfAction::Kind::proceed, true);
    config.on_permerror = spf_action(SpfAction::Kind::reject, true);
    config.check_helo = false;
    const auto rules = default_rules(config);
    EXPECT_EQ(names(rules), (std::vector<std::string>{"spf.on_temperror", "spf.on_permerror"}));
    EXPECT_EQ(rules[0].answer, core::DefaultRule::Answer::proceed);
    EXPECT_EQ(rules[1].code, 550);
    EXPECT_EQ(rules[1].enhanced, "5.7.24");
}

TEST(SpfDefaultRules, ConfiguredTextIsLiteral) {
    SpfConfig config;
    config.on_fail.text = "see {spf.domain}";
    config.on_helo_fail.text = "no {x}";
    const auto rules = default_rules(config);
    EXPECT_EQ(rules[0].text, "see {{spf.domain}}{spf.explains}");
    EXPECT_EQ(test::rendered(rules[0].text, {}), "see {spf.domain}");
    EXPECT_EQ(rules[2].text, "no {{x}} for HELO {spf.helo.shown_domain}{spf.helo.explains}");
}

}  // namespace
}  // namespace mxgate::filters::spf
