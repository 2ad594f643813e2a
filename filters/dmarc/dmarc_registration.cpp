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

namespace {

using Attrs = std::vector<std::pair<std::string, std::string>>;

// The rule for `action`; none for proceed unless `fails_open` says it declares that.
void add_rule(std::vector<core::DefaultRule>& rules, std::string key, core::Outcome outcome, Attrs attrs,
              DmarcAction action, std::string_view text, bool fails_open = false) {
    using Answer = core::DefaultRule::Answer;
    if (action == DmarcAction::proceed && !fails_open) return;
    core::DefaultRule rule{"dmarc." + std::move(key), core::Stage::end_of_data, "dmarc", {outcome}, std::move(attrs)};
    if (action == DmarcAction::quarantine) {
        rule.answer = Answer::quarantine;
        rule.text = "{dmarc.reason}";
    } else if (action != DmarcAction::proceed) {
        const bool reject = action == DmarcAction::reject;
        rule.answer = reject ? Answer::reject : Answer::tempfail;
        rule.code = reject ? 550 : 451;
        rule.enhanced = reject ? "5.7.1" : "4.7.1";
        rule.text = text;
    }
    rules.push_back(std::move(rule));
}

}  // namespace

std::vector<core::DefaultRule> default_rules(const DmarcConfig& config) {
    using core::Outcome;
    std::vector<core::DefaultRule> rules;
    const std::string refuses = "DMARC policy of {dmarc.shown_domain} refuses this message";
    add_rule(rules, "on_reject_fail", Outcome::fail, {{"disposition", "reject"}}, config.on_reject_fail, refuses);
    add_rule(rules, "on_temperror", Outcome::temperror, {{"spf_aligned", "no"}, {"dkim_aligned", "no"}},
             config.on_temperror, "DMARC policy of {dmarc.shown_domain} unavailable, try again later", true);
    add_rule(rules, "on_temperror", Outcome::temperror, {{"error", "timeout"}}, config.on_temperror,
             "DMARC policy lookup timed out, try again later", true);
    add_rule(rules, "on_quarantine_fail", Outcome::fail, {{"disposition", "quarantine"}}, config.on_quarantine_fail,
             refuses);
    add_rule(rules, "on_none_fail", Outcome::fail, {{"disposition", "none"}}, config.on_none_fail, refuses);
    const std::string_view one_from = "message must have exactly one From: field (RFC 7489 section 6.6.1)";
    add_rule(rules, "on_from_count", Outcome::permerror, {{"error", "no_from"}}, config.on_from_count, one_from);
    add_rule(rules, "on_from_count", Outcome::permerror, {{"error", "multiple_from"}}, config.on_from_count, one_from);
    add_rule(rules, "on_malformed_from", Outcome::permerror, {{"error", "malformed_from"}}, config.on_malformed_from,
             "From: field has no valid address");
    add_rule(rules, "temperror", Outcome::temperror, {}, DmarcAction::proceed, {}, true);
    return rules;
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
