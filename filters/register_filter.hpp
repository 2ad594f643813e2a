// register_filter<Settings>(): a filter's Registration derived from its described
// settings struct (proxy/core/settings/describe.hpp). Included by each filter
// folder's <name>_registration.cpp, where the struct's rules are visible.
#pragma once

#include <utility>

#include "filters/registration.hpp"
#include "proxy/core/settings/describe.hpp"

namespace mxgate::filters {

struct Needs {
    bool resolver = false;
    bool state = false;
};

// `build` makes the filter from its settings and the shared services;
// `defaults` (optional) fills in what the settings default from the proxy's.
// A `default_rules(const Settings&)` beside the settings (found by ADL) becomes
// Registration::default_rules.
template <class Settings, class Build, class Defaults = std::nullptr_t>
Registration register_filter(std::string_view key, Needs needs, Build build, Defaults defaults = nullptr) {
    Registration r;
    r.key = key;
    r.needs_resolver = needs.resolver;
    r.needs_state = needs.state;
    r.defaults = [] { return AnySettings(Settings{}); };
    r.decode = [](const YAML::Node& node, const std::string& path, settings::Reporter& reporter) {
        return AnySettings(settings::decode_section<Settings>(node, path, reporter));
    };
    r.dump = [key](settings::Writer& w, const AnySettings& any) {
        settings::dump_section(w, std::string(key).c_str(), *any.get<Settings>());
    };
    r.build = [build](const AnySettings& any, const Services& services) {
        return build(std::make_shared<const Settings>(*any.get<Settings>()), services);
    };
    if constexpr (requires(const Settings& settings) { default_rules(settings); })
        r.default_rules = [](const AnySettings& any) { return default_rules(*any.get<Settings>()); };
    if constexpr (!std::is_null_pointer_v<Defaults>)
        r.apply_defaults = [defaults](AnySettings& any, const FilterDefaults& proxy) {
            Settings value = *any.get<Settings>();
            defaults(value, proxy);
            any = AnySettings(std::move(value));
        };
    return r;
}

}  // namespace mxgate::filters
