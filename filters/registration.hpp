// How one filter plugs in: its YAML key, how its settings are decoded, dumped and
// defaulted, which shared services it needs, and how it is built for one config
// generation. Each filter folder makes its own with register_filter()
// (register_filter.hpp); registry.cpp lists them in one table.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "filters/dns/resolver.hpp"
#include "filters/filter.hpp"
#include "filters/settings.hpp"
#include "filters/state/store.hpp"
#include "proxy/core/default_rule.hpp"

namespace mxgate::filters {

// Process-wide services filters share; they outlive every config generation.
struct Services {
    std::shared_ptr<dns::Resolver> resolver;  // the one resolver (dns:); null unless settings.need_resolver()
    std::shared_ptr<state::Store> store;      // null unless settings.need_state()
};

struct Registration {
    std::string_view key;         // yaml: filters.<key>
    bool needs_resolver = false;  // when enabled
    bool needs_state = false;     // when enabled
    // When enabled and these settings say so (DMARC's record_reports): null = needs_state alone.
    std::function<bool(const AnySettings&)> needs_state_if;
    std::function<AnySettings()> defaults;
    std::function<AnySettings(const YAML::Node& node, const std::string& path, settings::Reporter&)> decode;
    std::function<void(settings::Writer&, const AnySettings&)> dump;
    std::function<void(AnySettings&, const FilterDefaults&)> apply_defaults;
    std::function<std::unique_ptr<Filter>(const AnySettings&, const Services&)> build;
    // What its settings say to do with its results (proxy/core/default_rule.hpp),
    // in the order they are tried; null: it only informs (no rule of its own).
    std::function<std::vector<core::DefaultRule>(const AnySettings&)> default_rules;

    // Whether, with these settings, it needs the state store (it records what clients did).
    bool uses_state(const AnySettings& settings) const {
        return needs_state || (needs_state_if && needs_state_if(settings));
    }
};

}  // namespace mxgate::filters
