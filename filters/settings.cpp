// FilterSettings over the registry: defaults, decoding and dump of filters:, and
// what the enabled filters need (settings.hpp).
#include "filters/settings.hpp"

#include "filters/registry.hpp"
#include "proxy/core/settings/describe.hpp"

namespace mxgate::filters {

FilterSettings::FilterSettings() {
    for (const RegistryRow& row : registry()) by_filter.push_back(row.filter.defaults());
}

bool FilterSettings::need_state() const { return !state_user().empty(); }

bool FilterSettings::need_resolver() const {
    const auto& rows = registry();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].filter.needs_resolver && by_filter[i].enabled()) return true;
    return false;
}

std::string FilterSettings::state_user() const {
    const auto& rows = registry();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Registration& filter = rows[i].filter;
        if (filter.uses_state(by_filter[i]) && by_filter[i].enabled()) return "filters." + std::string(filter.key);
    }
    return "";
}

void FilterSettings::apply_defaults(const FilterDefaults& defaults) {
    const auto& rows = registry();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].filter.apply_defaults) rows[i].filter.apply_defaults(by_filter[i], defaults);
}

FilterSettings decode_filter_settings(const YAML::Node& node, settings::Reporter& reporter) {
    using namespace std::chrono_literals;
    std::vector<std::string> keys = {"stage_timeout"};
    for (const RegistryRow& row : registry()) keys.emplace_back(row.filter.key);
    settings::MapReader m(node, "filters", reporter, keys);
    FilterSettings f;
    if (!m.is_map()) return f;
    f.stage_timeout = m.duration("stage_timeout", 100ms, 1h, f.stage_timeout);
    const auto& rows = registry();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string key(rows[i].filter.key);
        f.by_filter[i] = rows[i].filter.decode(m.get(key), m.field_path(key), reporter);
    }
    return f;
}

void dump_filter_settings(settings::Writer& w, const FilterSettings& f) {
    w.begin("filters");
    w.duration("stage_timeout", f.stage_timeout);
    const auto& rows = registry();
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].filter.dump(w, f.by_filter[i]);
    w.end();
}

}  // namespace mxgate::filters
