// filters.greylist and filters.rate_limit: the field rules the descriptions in
// greylist_config.hpp cannot infer, greylisting's delay/window check, and both
// registrations.
#include "filters/greylist/greylist_registration.hpp"

#include "filters/greylist/greylist_filter.hpp"
#include "filters/greylist/rate_limit_filter.hpp"
#include "filters/register_filter.hpp"

namespace mxgate::filters::greylist {

namespace {

// SPF runs before greylisting, so an SPF pass is among the earlier findings.
bool spf_passed_in(const TransactionView& view) { return view.findings != nullptr && spf_passed(*view.findings); }

using Answer = core::DefaultRule::Answer;

}  // namespace

auto settings_fields(const GreylistConfig*) {
    using settings::field;
    return std::tuple{
        field<&GreylistConfig::ipv4_prefix>(settings::number(8, 32)),
        field<&GreylistConfig::ipv6_prefix>(settings::number(16, 128)),
        field<&GreylistConfig::delay>(settings::whole_seconds(0s, 24h)),
        field<&GreylistConfig::window>(settings::whole_seconds(1s, 720h)),
        field<&GreylistConfig::pass_lifetime>(settings::whole_seconds(1s, 8760h)),
        field<&GreylistConfig::auto_allow_after>(settings::number(0, 1000000)),
        field<&GreylistConfig::allow_networks>(settings::networks()),
        field<&GreylistConfig::allow_sender_domains>(settings::domains()),
        field<&GreylistConfig::allow_recipient_domains>(settings::domains()),
    };
}

// A delay of at least the window would defer every retry forever. Only compare
// two values that were read without an error.
void settings_check(GreylistConfig& c, const settings::Section& section) {
    if (!section.clean("delay") || !section.clean("window") || c.delay < c.window) return;
    const std::string at = section.path(section.map().has("delay") ? "delay" : "window");
    section.reporter().error(section.reporter().mark(at), at + ": delay (" + settings::format_duration(c.delay) +
                                                              ") must be less than window (" +
                                                              settings::format_duration(c.window) + ")");
}

auto settings_fields(const RateLimitConfig*) {
    using settings::field;
    return std::tuple{
        field<&RateLimitConfig::max_connections_per_window>(settings::number(0, 1'000'000'000)),
        field<&RateLimitConfig::max_messages_per_window>(settings::number(0, 1'000'000'000)),
        field<&RateLimitConfig::window>(settings::whole_seconds(1s, 24h)),
        field<&RateLimitConfig::ipv4_prefix>(settings::number(8, 32)),
        field<&RateLimitConfig::ipv6_prefix>(settings::number(16, 128)),
    };
}

std::vector<core::DefaultRule> default_rules(const GreylistConfig& config) {
    std::vector<core::DefaultRule> rules{{"greylist.defer", core::Stage::rcpt, "greylist", {core::Outcome::softfail}, {},
                                          Answer::tempfail, 451, "4.7.1",
                                          "Greylisted, please try again in {greylist.retry_after} seconds"}};
    if (config.fail_open) rules.push_back(timeout_fails_open("greylist.fail_open", core::Stage::rcpt, "greylist"));
    return rules;
}

std::vector<core::DefaultRule> default_rules(const RateLimitConfig& config) {
    std::vector<core::DefaultRule> rules;
    if (config.max_connections_per_window > 0) {
        rules.push_back({"rate_limit.connections", core::Stage::connect, "ratelimit.connections", {core::Outcome::fail},
                         {}, Answer::disconnect, 421, "4.7.0", "Too many connections from your network, try again later"});
        if (config.fail_open) rules.push_back(timeout_fails_open("rate_limit.fail_open", core::Stage::connect, "rate_limit"));
    }
    if (config.max_messages_per_window > 0) {
        rules.push_back({"rate_limit.messages", core::Stage::mail_from, "ratelimit.messages", {core::Outcome::fail}, {},
                         Answer::tempfail, 451, "4.7.0", "Too many messages from your network, try again later"});
        if (config.fail_open) rules.push_back(timeout_fails_open("rate_limit.fail_open", core::Stage::mail_from, "rate_limit"));
    }
    return rules;
}

Registration greylist_registration() {
    return register_filter<GreylistConfig>(
        "greylist", Needs{.state = true}, [](std::shared_ptr<const GreylistConfig> config, const Services& services) {
            return std::unique_ptr<Filter>(
                std::make_unique<GreylistFilter>(std::move(config), services.store, system_now, spf_passed_in));
        });
}

Registration rate_limit_registration() {
    return register_filter<RateLimitConfig>(
        "rate_limit", Needs{.state = true}, [](std::shared_ptr<const RateLimitConfig> config, const Services& services) {
            return std::unique_ptr<Filter>(std::make_unique<RateLimitFilter>(std::move(config), services.store));
        });
}

}  // namespace mxgate::filters::greylist
