// filters.dmarc: the rules of the fields the description in dmarc_config.hpp
// cannot infer, and the filter's registration.
#include "filters/dmarc/dmarc_registration.hpp"

#include <random>

#include "filters/dmarc/dmarc_filter.hpp"
#include "filters/register_filter.hpp"

namespace mxgate::filters::dmarc {

auto settings_fields(const DmarcConfig*) {
    using settings::field;
    return std::tuple{
        field<&DmarcConfig::timeout>(settings::duration(100ms, 5min)),
        field<&DmarcConfig::public_suffix_list>(settings::file_path()),
        field<&DmarcConfig::max_from_domains>(settings::number(1, 100)),
        field<&DmarcConfig::report_retention>(settings::whole_seconds(1h, 8760h)),
    };
}

// An enabled filter needs the list: refuse a config whose list does not load,
// so that building the filter never meets a missing one.
void settings_check(DmarcConfig& c, const settings::Section& section) {
    if (!c.enabled || !section.clean("public_suffix_list")) return;
    const auto loaded = PublicSuffixList::shared(c.public_suffix_list);
    if (loaded.list) return;
    const std::string at = section.path("public_suffix_list");
    section.reporter().error(section.reporter().first_mark({at, section.path("enabled")}), at + ": " + loaded.error);
}

Registration registration() {
    Registration r = register_filter<DmarcConfig>(
        "dmarc", Needs{.resolver = true}, [](std::shared_ptr<const DmarcConfig> config, const Services& services) {
            auto suffixes = PublicSuffixList::shared(config->public_suffix_list).list;
            auto store = config->record_reports ? services.store : nullptr;
            return std::unique_ptr<Filter>(std::make_unique<DmarcFilter>(
                std::move(config), *services.resolver, std::move(suffixes), std::random_device{}(), std::move(store)));
        });
    r.needs_state_if = [](const AnySettings& any) { return any.get<DmarcConfig>()->record_reports; };
    return r;
}

}  // namespace mxgate::filters::dmarc
