// filters.spf: the rules of the fields the description in spf_config.hpp cannot
// infer (ranges, the receiver's syntax, the actions), and the filter's registration.
#include "filters/spf/spf_registration.hpp"

#include "filters/register_filter.hpp"
#include "filters/spf/spf_filter.hpp"

namespace mxgate::filters::spf {

namespace {

// "proceed", "tempfail" or "reject", with the RFC 7372 reply that belongs to the
// result: X.7.24 for the results where validation could not be done.
struct ActionCodec {
    bool validation_error;
    void decode(settings::MapReader& m, std::string_view key, SpfAction& value) const {
        if (!m.has(key)) return;
        SpfAction::Kind kind = value.kind;
        settings::ChoiceCodec<SpfAction::Kind>{}.decode(m, key, kind);
        value = spf_action(kind, validation_error);
    }
    void dump(settings::Writer& w, const char* key, const SpfAction& value) const {
        w.plain(key, std::string(to_string(value.kind)));
    }
};

using Answer = core::DefaultRule::Answer;

// A rule for one result's action; proceed: none, unless `fails_open` says it declares that.
void add_rule(std::vector<core::DefaultRule>& rules, std::string key, std::string finding, core::Outcome outcome,
              const SpfAction& action, std::string text, bool fails_open = false) {
    if (action.kind == SpfAction::Kind::proceed && !fails_open) return;
    core::DefaultRule rule{"spf." + std::move(key), core::Stage::mail_from, std::move(finding), {outcome}};
    if (action.kind == SpfAction::Kind::proceed) {
        rules.push_back(std::move(rule));
        return;
    }
    rule.answer = action.kind == SpfAction::Kind::reject ? Answer::reject : Answer::tempfail;
    rule.code = static_cast<int>(action.code);
    rule.enhanced = action.enhanced;
    rule.text = std::move(text);
    rules.push_back(std::move(rule));
}

}  // namespace

std::vector<core::DefaultRule> default_rules(const SpfConfig& config) {
    using core::Outcome;
    std::vector<core::DefaultRule> rules;
    auto said = [](const SpfAction& action) { return core::template_literal(action.text); };
    add_rule(rules, "on_pass", "spf", Outcome::pass, config.on_pass, said(config.on_pass));
    add_rule(rules, "on_fail", "spf", Outcome::fail, config.on_fail, said(config.on_fail) + "{spf.explains}");
    add_rule(rules, "on_softfail", "spf", Outcome::softfail, config.on_softfail, said(config.on_softfail));
    add_rule(rules, "on_neutral", "spf", Outcome::neutral, config.on_neutral, said(config.on_neutral));
    add_rule(rules, "on_none", "spf", Outcome::none, config.on_none, said(config.on_none));
    add_rule(rules, "on_temperror", "spf", Outcome::temperror, config.on_temperror, said(config.on_temperror), true);
    add_rule(rules, "on_permerror", "spf", Outcome::permerror, config.on_permerror, said(config.on_permerror));
    if (!config.check_helo) return rules;
    add_rule(rules, "on_helo_fail", "spf.helo", Outcome::fail, config.on_helo_fail,
             core::template_literal(config.on_helo_fail.text + " for HELO ") + "{spf.helo.shown_domain}{spf.helo.explains}");
    add_rule(rules, "check_helo", "spf.helo", Outcome::temperror, SpfAction{}, {}, true);
    return rules;
}

auto settings_fields(const SpfConfig*) {
    using settings::field;
    return std::tuple{
        field<&SpfConfig::timeout>(settings::duration(100ms, 5min)),
        field<&SpfConfig::receiver>(settings::hostname()),
        // RFC 7208 §4.6.4 fixes 10 and 2; raising them only helps broken records.
        field<&SpfConfig::max_dns_mechanisms>(settings::number(1, 100)),
        field<&SpfConfig::max_dns_mx>(settings::number(1, 100)),
        field<&SpfConfig::max_dns_ptr>(settings::number(1, 100)),
        field<&SpfConfig::max_void_lookups>(settings::number(0, 100)),
        field<&SpfConfig::max_queries>(settings::number(1, 1000)),
        field<&SpfConfig::on_pass>(ActionCodec{false}),
        field<&SpfConfig::on_fail>(ActionCodec{false}),
        field<&SpfConfig::on_softfail>(ActionCodec{false}),
        field<&SpfConfig::on_neutral>(ActionCodec{false}),
        field<&SpfConfig::on_none>(ActionCodec{false}),
        field<&SpfConfig::on_temperror>(ActionCodec{true}),
        field<&SpfConfig::on_permerror>(ActionCodec{true}),
        field<&SpfConfig::on_helo_fail>(ActionCodec{false}),
    };
}

void apply_defaults(SpfConfig& config, const FilterDefaults& proxy) {
    if (config.receiver.empty()) config.receiver = proxy.hostname;
}

Registration registration() {
    return register_filter<SpfConfig>(
        "spf", Needs{.resolver = true},
        [](std::shared_ptr<const SpfConfig> config, const Services& services) {
            return std::unique_ptr<Filter>(std::make_unique<SpfFilter>(std::move(config), *services.resolver));
        },
        apply_defaults);
}

}  // namespace mxgate::filters::spf
