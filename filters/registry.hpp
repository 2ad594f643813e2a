// The one table of filters (like Postfix's smtpd_cmd_table): adding a filter is
// one folder under filters/ plus one row (and its #include) in registry.cpp. No
// self-registration.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "filters/chain.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters {

struct RegistryRow {
    Registration filter;
    unsigned chain_position;  // the order filters run and report findings in (1 = first)
};

// Every filter, in the order of the filters: section of the config and of --check-config.
const std::vector<RegistryRow>& registry();

// Builds the chain for one config generation, in the order findings are reported.
// `left_out`: registry keys of enabled filters not to build (`mxgate policy test`
// leaves out those that record state; they need no store then).
// The default rules of every enabled filter, in chain order (the order their
// findings are reported and, before issue 12, were acted on).
std::vector<core::FilterDefaultRules> default_rules(const FilterSettings& settings);
// The same for every filter, enabled or not, with its default settings (`mxgate
// policy test` without a config).
std::vector<core::FilterDefaultRules> default_rules_of_every_filter();

Chain build_chain(const FilterSettings& settings, const Services& services,
                  std::span<const std::string_view> left_out = {});

}  // namespace mxgate::filters
