// FilterSettings over the registry: every row at its defaults, typed access, equality
// that says what changed on reload, and what the enabled filters need.
#include <gtest/gtest.h>

#include "filters/greylist/greylist_config.hpp"
#include "filters/helo/helo_config.hpp"
#include "filters/registry.hpp"
#include "filters/spf/spf_config.hpp"

namespace mxgate::filters {
namespace {

TEST(FilterSettings, OneDefaultPerRegistryRow) {
    const FilterSettings f;
    ASSERT_EQ(f.by_filter.size(), registry().size());
    EXPECT_EQ(f.get<helo::HeloConfig>(), helo::HeloConfig{});
    EXPECT_FALSE(f.need_state());
    EXPECT_FALSE(f.need_resolver());
    EXPECT_EQ(f.state_user(), "");
}

TEST(FilterSettings, EveryFilterStatesItsDefaultRules) {
    // register_filter() wires a filter's default_rules(const Settings&) by itself:
    // a row without it would lose the filter's verdicts without a word.
    for (const auto& row : registry()) EXPECT_TRUE(row.filter.default_rules) << row.filter.key;
}

TEST(FilterSettings, EqualityComparesEachFiltersSettings) {
    FilterSettings changed;
    EXPECT_EQ(changed, FilterSettings{});
    auto helo = changed.get<helo::HeloConfig>();
    helo.reject_non_fqdn_hostname = true;
    changed.set(helo);
    EXPECT_NE(changed, FilterSettings{});
    EXPECT_TRUE(changed.get<helo::HeloConfig>().reject_non_fqdn_hostname);
}

TEST(FilterSettings, NeedsFollowTheEnabledFilters) {
    FilterSettings f;
    auto spf = f.get<spf::SpfConfig>();
    spf.enabled = true;
    f.set(spf);
    EXPECT_TRUE(f.need_resolver());
    EXPECT_FALSE(f.need_state());
    auto limits = f.get<greylist::RateLimitConfig>();
    limits.enabled = true;
    f.set(limits);
    EXPECT_EQ(f.state_user(), "filters.rate_limit");
}

TEST(FilterSettings, DefaultsHookFillsSpfReceiverOnly) {
    FilterSettings f;
    f.apply_defaults(FilterDefaults{"mx.example.net"});
    EXPECT_EQ(f.get<spf::SpfConfig>().receiver, "mx.example.net");
    EXPECT_EQ(f.get<helo::HeloConfig>(), helo::HeloConfig{});
}

TEST(FilterSettings, ChainHasOnlyTheEnabledFilters) {
    FilterSettings f;
    auto helo = f.get<helo::HeloConfig>();
    helo.enabled = true;
    f.set(helo);
    const Chain chain = build_chain(f, Services{});
    EXPECT_FALSE(chain.idle_at(core::Stage::helo));
    EXPECT_TRUE(chain.idle_at(core::Stage::rcpt));  // no filter of that stage is enabled
}

}  // namespace
}  // namespace mxgate::filters
