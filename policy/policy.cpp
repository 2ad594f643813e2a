#include "policy/policy.hpp"

#include "policy/verdict.hpp"

namespace mxgate::policy {

std::string_view to_string(Verdict::Action action) {
    switch (action) {
        case Verdict::Action::proceed: return "proceed";
        case Verdict::Action::tempfail: return "tempfail";
        case Verdict::Action::reject: return "reject";
        case Verdict::Action::disconnect: return "disconnect";
        case Verdict::Action::quarantine: return "quarantine";
    }
    return "proceed";
}

std::string filter_of_finding(std::string_view finding) {
    const std::string_view prefix = finding.substr(0, finding.find('.'));
    if (prefix == "ratelimit") return "rate_limit";
    if (prefix == "dnswl" || prefix == "fcrdns") return "dnsbl";
    return std::string(prefix);
}

}  // namespace mxgate::policy
