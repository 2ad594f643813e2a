#include "filters/registry.hpp"

#include <cassert>

#include "filters/dnsbl/dnsbl_filter.hpp"
#include "filters/greylist/greylist_filter.hpp"
#include "filters/greylist/rate_limit_filter.hpp"
#include "filters/helo/helo_filter.hpp"
#include "filters/spf/spf_filter.hpp"

namespace mxgate::filters {

namespace {

// SPF runs before greylisting, so an SPF pass is among the earlier findings.
bool spf_passed_in(const TransactionView& view) {
    return view.findings != nullptr && greylist::spf_passed(*view.findings);
}

}  // namespace

Chain build_chain(const FilterSettings& settings, const Services& services) {
    assert(!settings.need_state() || services.store != nullptr);
    assert(!settings.need_resolver() || services.resolver != nullptr);
    std::vector<std::unique_ptr<Filter>> filters;
    if (settings.rate_limit.enabled)
        filters.push_back(std::make_unique<greylist::RateLimitFilter>(
            std::make_shared<const greylist::RateLimitConfig>(settings.rate_limit.config), services.store));
    // Before the DNS lists' HELO checks: a malformed name is refused without asking DNS.
    if (settings.helo.enabled)
        filters.push_back(
            std::make_unique<helo::HeloFilter>(std::make_shared<const helo::HeloConfig>(settings.helo)));
    if (settings.dnsbl.enabled)
        filters.push_back(std::make_unique<dnsbl::DnsblFilter>(
            std::make_shared<const dnsbl::DnsblConfig>(settings.dnsbl.config), *services.resolver));
    if (settings.spf.enabled)
        filters.push_back(std::make_unique<spf::SpfFilter>(
            std::make_shared<const spf::SpfConfig>(settings.spf.config), *services.resolver));
    if (settings.greylist.enabled)
        filters.push_back(std::make_unique<greylist::GreylistFilter>(
            std::make_shared<const greylist::GreylistConfig>(settings.greylist.config), services.store,
            greylist::system_now, spf_passed_in));
    return Chain(std::move(filters), settings.stage_timeout);
}

}  // namespace mxgate::filters
