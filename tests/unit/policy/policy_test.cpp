// The built-in policy: which finding decides, with which reply and rule name.
// Filters state their configured default (attrs action and reply); a temperror
// that states none fails closed; informational findings never decide.
#include "policy/policy.hpp"

#include <gtest/gtest.h>

namespace {

namespace core = mxgate::core;
using mxgate::policy::Policy;
using Action = mxgate::policy::Verdict::Action;

core::Finding finding(std::string name, core::Outcome outcome, std::vector<std::pair<std::string, std::string>> attrs = {}) {
    return {std::move(name), outcome, std::move(attrs), ""};
}

TEST(Policy, NothingToSayProceeds) {
    const auto v = Policy{}.decide(core::Stage::rcpt, {finding("spf", core::Outcome::softfail, {{"action", "proceed"}})});
    EXPECT_EQ(v.action, Action::proceed);
    EXPECT_EQ(v.rule, "default");
}

TEST(Policy, AStatedRejectIsAppliedWithItsReply) {
    const auto v = Policy{}.decide(
        core::Stage::mail_from, {finding("spf", core::Outcome::fail,
                                      {{"action", "reject"}, {"reply", "550 5.7.23 SPF validation failed; x explains: y"}})});
    EXPECT_EQ(v.action, Action::reject);
    EXPECT_EQ(v.code, 550);
    EXPECT_EQ(v.enhanced, "5.7.23");
    EXPECT_EQ(v.text, "SPF validation failed; x explains: y");
    EXPECT_EQ(v.rule, "filter.spf");
}

TEST(Policy, AStatedTempfailIsAppliedWithItsReply) {
    const auto v = Policy{}.decide(core::Stage::mail_from,
                                   {finding("spf", core::Outcome::temperror,
                                            {{"action", "tempfail"}, {"reply", "451 4.7.24 SPF DNS lookup failed"}})});
    EXPECT_EQ(v.action, Action::tempfail);
    EXPECT_EQ(v.code, 451);
    EXPECT_EQ(v.enhanced, "4.7.24");
}

TEST(Policy, AReplyOfTheWrongClassOrShapeFallsBackToFailingClosedOnlyForTemperror) {
    // A reject must be 5xx with a 5.x.x code; a filter bug must not turn into a 2xx/4xx "reject".
    for (const char* bad : {"250 2.0.0 ok", "550 4.7.1 mixed", "55 5.7.1 short", "550", "550 5.7.1", "x50 5.7.1 t"}) {
        const auto v = Policy{}.decide(core::Stage::rcpt,
                                       {finding("dnsbl", core::Outcome::fail, {{"action", "reject"}, {"reply", bad}})});
        EXPECT_EQ(v.action, Action::proceed) << bad;
    }
}

TEST(Policy, TemperrorWithoutActionFailsClosed) {
    const auto v = Policy{}.decide(core::Stage::rcpt, {finding("greylist", core::Outcome::temperror, {{"store", "unavailable"}})});
    EXPECT_EQ(v.action, Action::tempfail);
    EXPECT_EQ(v.code, 451);
    EXPECT_EQ(v.enhanced, "4.7.0");
    EXPECT_EQ(v.rule, "default.temperror:greylist");
}

TEST(Policy, TemperrorThatSaysProceedDoesNotBlock) {
    // An unanswered DNS list is no hit (RFC 5782 lists come and go).
    const auto v = Policy{}.decide(core::Stage::connect, {finding("dnsbl.zen", core::Outcome::temperror, {{"action", "proceed"}}),
                                                       finding("fcrdns", core::Outcome::temperror, {{"action", "proceed"}})});
    EXPECT_EQ(v.action, Action::proceed);
}

TEST(Policy, BuiltInRules) {
    const auto connections = Policy{}.decide(core::Stage::connect, {finding("ratelimit.connections", core::Outcome::fail)});
    EXPECT_EQ(connections.action, Action::disconnect);
    EXPECT_EQ(connections.code, 421);
    const auto grey = Policy{}.decide(
        core::Stage::rcpt, {finding("greylist", core::Outcome::softfail, {{"action", "defer"}, {"retry_after", "300"}})});
    EXPECT_EQ(grey.action, Action::tempfail);
    EXPECT_EQ(grey.text, "Greylisted, please try again in 300 seconds");
}

TEST(Policy, TheFirstFindingThatCallsForAnAnswerDecides) {
    const auto v = Policy{}.decide(
        core::Stage::rcpt,
        {finding("fcrdns", core::Outcome::temperror, {{"action", "proceed"}}),
         finding("dnsbl", core::Outcome::fail, {{"action", "reject"}, {"reply", "554 5.7.1 Service unavailable"}}),
         finding("greylist", core::Outcome::softfail, {{"action", "defer"}, {"retry_after", "60"}})});
    EXPECT_EQ(v.code, 554);
    EXPECT_EQ(v.rule, "filter.dnsbl");
}

TEST(Policy, AVerdictNamesTheFilterItCameFromForMonitorFilters) {
    EXPECT_EQ(Policy{}.decide(core::Stage::connect, {finding("ratelimit.connections", core::Outcome::fail)}).filter,
              "rate_limit");
    EXPECT_EQ(Policy{}.decide(core::Stage::rcpt, {finding("greylist", core::Outcome::softfail, {{"action", "defer"}})})
                  .filter,
              "greylist");
    EXPECT_EQ(Policy{}.decide(core::Stage::helo, {finding("spf.helo", core::Outcome::temperror)}).filter, "spf");
    EXPECT_EQ(mxgate::policy::filter_of_finding("dnswl.list"), "dnsbl");
    EXPECT_EQ(mxgate::policy::filter_of_finding("fcrdns"), "dnsbl");
    EXPECT_EQ(mxgate::policy::filter_of_finding("dmarc"), "dmarc");
}

}  // namespace
