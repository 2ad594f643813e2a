#include "filters/registry.hpp"

#include <algorithm>
#include <cassert>

#include "filters/dkim/dkim_registration.hpp"
#include "filters/dmarc/dmarc_registration.hpp"
#include "filters/dnsbl/dnsbl_registration.hpp"
#include "filters/greylist/greylist_registration.hpp"
#include "filters/helo/helo_registration.hpp"
#include "filters/spf/spf_registration.hpp"

namespace mxgate::filters {

const std::vector<RegistryRow>& registry() {
    // Rows in the order --check-config has always shown them.
    static const std::vector<RegistryRow> table = {
        {greylist::greylist_registration(), 5},    // after spf: reads its finding (greylist_registration.hpp)
        {greylist::rate_limit_registration(), 1},  // first: an over-limit client costs no DNS
        {helo::registration(), 2},                 // before the DNS lists: a malformed name is refused without DNS
        {spf::registration(), 4},
        {dnsbl::registration(), 3},
        {dkim::registration(), 6},                 // end of data: a content filter (inspect_message)
        {dmarc::registration(), 7},                // after spf and dkim: reads their findings at end of data
    };
    return table;
}

namespace {

// Indexes into registry() in chain order.
std::vector<std::size_t> chain_order() {
    const auto& rows = registry();
    std::vector<std::size_t> order(rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return rows[a].chain_position < rows[b].chain_position; });
    return order;
}

}  // namespace

std::vector<core::FilterDefaultRules> default_rules(const FilterSettings& settings) {
    const auto& rows = registry();
    std::vector<core::FilterDefaultRules> out;
    for (const std::size_t i : chain_order()) {
        const Registration& filter = rows[i].filter;
        const AnySettings& own = settings.by_filter[i];
        if (!own.enabled() || !filter.default_rules) continue;
        out.push_back({std::string(filter.key), filter.default_rules(own)});
    }
    return out;
}

std::vector<core::FilterDefaultRules> default_rules_of_every_filter() {
    const auto& rows = registry();
    std::vector<core::FilterDefaultRules> out;
    for (const std::size_t i : chain_order()) {
        const Registration& filter = rows[i].filter;
        if (filter.default_rules) out.push_back({std::string(filter.key), filter.default_rules(filter.defaults())});
    }
    return out;
}

Chain build_chain(const FilterSettings& settings, const Services& services,
                  std::span<const std::string_view> left_out) {
    const auto& rows = registry();
    std::vector<std::unique_ptr<Filter>> filters;
    for (const std::size_t i : chain_order()) {
        const Registration& filter = rows[i].filter;
        const AnySettings& own = settings.by_filter[i];
        if (!own.enabled() || std::find(left_out.begin(), left_out.end(), filter.key) != left_out.end()) continue;
        assert(!filter.uses_state(own) || services.store != nullptr);
        assert(!filter.needs_resolver || services.resolver != nullptr);
        filters.push_back(filter.build(own, services));
    }
    return Chain(std::move(filters), settings.stage_timeout);
}

}  // namespace mxgate::filters
