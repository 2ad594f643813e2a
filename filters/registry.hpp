// The one table of filters (like Postfix's smtpd_cmd_table): adding a filter is
// one folder under filters/ plus one line in registry.cpp. No self-registration.
#pragma once

#include <memory>

#include "filters/chain.hpp"
#include "filters/dns/resolver.hpp"
#include "filters/settings.hpp"
#include "filters/state/store.hpp"

namespace mxgate::filters {

// Process-wide services filters share; they outlive every config generation.
struct Services {
    std::shared_ptr<dns::Resolver> resolver;  // the one resolver (dns:); null unless settings.need_resolver()
    std::shared_ptr<state::Store> store;      // null unless settings.need_state()
};

// Builds the chain for one config generation, in the order findings are reported.
Chain build_chain(const FilterSettings& settings, const Services& services);

}  // namespace mxgate::filters
