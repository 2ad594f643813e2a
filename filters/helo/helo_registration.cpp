// filters.helo: every key is a bool, so the description in helo_config.hpp is all
// the decoder and the dump need.
#include "filters/helo/helo_registration.hpp"

#include "filters/helo/helo_filter.hpp"
#include "filters/register_filter.hpp"

namespace mxgate::filters::helo {

namespace {

core::DefaultRule refusal(std::string key, std::string check, int code, std::string_view text) {
    return core::DefaultRule{"helo." + key, core::Stage::helo, "helo", {core::Outcome::fail},
                             {{"check", std::move(check)}}, core::DefaultRule::Answer::reject, code, "5.5.2",
                             "<{helo.shown_name}>: Helo command rejected: " + std::string(text)};
}

}  // namespace

std::vector<core::DefaultRule> default_rules(const HeloConfig& config) {
    std::vector<core::DefaultRule> rules;
    if (config.reject_invalid_hostname)
        rules.push_back(refusal("reject_invalid_hostname", "invalid_hostname", 501, "Invalid name"));
    if (config.reject_non_fqdn_hostname)
        rules.push_back(refusal("reject_non_fqdn_hostname", "non_fqdn_hostname", 504, "need fully-qualified hostname"));
    return rules;
}

Registration registration() {
    return register_filter<HeloConfig>("helo", Needs{}, [](std::shared_ptr<const HeloConfig> config, const Services&) {
        return std::unique_ptr<Filter>(std::make_unique<HeloFilter>(std::move(config)));
    });
}

}  // namespace mxgate::filters::helo
