#include "policy/policy.hpp"

#include <string>
#include <string_view>

namespace mxgate::policy {

namespace {

std::string_view attr(const filters::Finding& finding, std::string_view key) {
    for (const auto& [k, v] : finding.attrs)
        if (k == key) return v;
    return {};
}

}  // namespace

Verdict Policy::decide(filters::Stage, const std::vector<filters::Finding>& findings) const {
    using filters::Outcome;
    using Action = Verdict::Action;
    // The built-in rules, until the YAML rule engine makes them editable. The
    // first finding that calls for an answer decides; the rule names it.
    for (const auto& finding : findings) {
        if (finding.name == "ratelimit.connections" && finding.outcome == Outcome::fail)
            return {Action::disconnect, 421, "4.7.0", "Too many connections from your network, try again later",
                    "default.ratelimit.connections"};
        if (finding.name == "ratelimit.messages" && finding.outcome == Outcome::fail)
            return {Action::tempfail, 451, "4.7.0", "Too many messages from your network, try again later",
                    "default.ratelimit.messages"};
        if (finding.name == "greylist" && finding.outcome == Outcome::softfail && attr(finding, "action") == "defer")
            return {Action::tempfail, 451, "4.7.1",
                    "Greylisted, please try again in " + std::string(attr(finding, "retry_after")) + " seconds",
                    "default.greylist"};
    }
    // Fail closed on a filter that could not decide: a temperror is a temporary
    // refusal, so the sender retries instead of mail slipping past a check.
    for (const auto& finding : findings) {
        if (finding.outcome == filters::Outcome::temperror)
            return {Verdict::Action::tempfail, 451, "4.7.0", "Temporary local problem, try again later",
                    "default.temperror:" + finding.name};
    }
    return {Verdict::Action::proceed, 0, {}, {}, "default"};
}

}  // namespace mxgate::policy
