// The quarantine action: a finding's action=quarantine becomes a quarantine
// verdict naming the filter and its reason, weaker than any refusal.
#include "policy/policy.hpp"

#include <gtest/gtest.h>

namespace {

namespace core = mxgate::core;
using mxgate::policy::Policy;
using Action = mxgate::policy::Verdict::Action;

core::Finding finding(std::string name, core::Outcome outcome, std::vector<std::pair<std::string, std::string>> attrs,
                      std::string reason = "") {
    return {std::move(name), outcome, std::move(attrs), std::move(reason)};
}

TEST(PolicyQuarantine, AStatedQuarantineNamesTheFilterAndItsReason) {
    const auto v = Policy{}.decide(core::Stage::end_of_data,
                                   {finding("dmarc", core::Outcome::fail, {{"action", "quarantine"}},
                                            "dmarc fail for example.org")});
    EXPECT_EQ(v.action, Action::quarantine);
    EXPECT_EQ(v.rule, "filter.dmarc");
    EXPECT_EQ(v.reason, "dmarc fail for example.org");
    EXPECT_EQ(v.code, 0);
}

TEST(PolicyQuarantine, ARefusalAfterItStillWins) {
    const auto v = Policy{}.decide(
        core::Stage::end_of_data,
        {finding("dmarc", core::Outcome::fail, {{"action", "quarantine"}}),
         finding("spf", core::Outcome::fail, {{"action", "reject"}, {"reply", "550 5.7.23 SPF failed"}})});
    EXPECT_EQ(v.action, Action::reject);
    EXPECT_EQ(v.rule, "filter.spf");
}

TEST(PolicyQuarantine, AnUndecidedTemperrorDefersInsteadOfQuarantining) {
    const auto v = Policy{}.decide(core::Stage::end_of_data,
                                   {finding("dmarc", core::Outcome::fail, {{"action", "quarantine"}}),
                                    finding("dkim", core::Outcome::temperror, {})});
    EXPECT_EQ(v.action, Action::tempfail);
}

TEST(PolicyQuarantine, WithoutAReasonTheFilterNameStandsIn) {
    const auto v =
        Policy{}.decide(core::Stage::end_of_data, {finding("dmarc", core::Outcome::fail, {{"action", "quarantine"}})});
    EXPECT_EQ(v.reason, "dmarc");
}

}  // namespace
