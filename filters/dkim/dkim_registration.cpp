// filters.dkim: the ranges of its fields, and the filter's registration.
#include "filters/dkim/dkim_registration.hpp"

#include "filters/dkim/dkim_filter.hpp"
#include "filters/register_filter.hpp"

namespace mxgate::filters::dkim {

auto settings_fields(const DkimConfig*) {
    using settings::field;
    return std::tuple{
        field<&DkimConfig::timeout>(settings::duration(100ms, 5min)),
        field<&DkimConfig::max_signatures>(settings::number(1, 50)),
        // RFC 8301 §3.2: never under 1024; 4096 is the largest key it asks verifiers to take.
        field<&DkimConfig::min_rsa_bits>(settings::number(1024, 4096)),
        field<&DkimConfig::key_cache_entries>(settings::number(0, 1000000)),
    };
}

std::vector<core::DefaultRule> default_rules(const DkimConfig&) {
    return {{"dkim.temperror", core::Stage::end_of_data, "dkim", {core::Outcome::temperror}}};
}

Registration registration() {
    return register_filter<DkimConfig>(
        "dkim", Needs{.resolver = true}, [](std::shared_ptr<const DkimConfig> config, const Services& services) {
            return std::unique_ptr<Filter>(std::make_unique<DkimFilter>(std::move(config), *services.resolver));
        });
}

}  // namespace mxgate::filters::dkim
