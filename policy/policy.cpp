#include "policy/policy.hpp"

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

namespace mxgate::policy {

namespace {

using core::Finding;
using core::Outcome;
using Action = Verdict::Action;

// A filter's default action: attrs action=reject|tempfail|disconnect and
// reply="550 5.7.23 text". nullopt for proceed, no action, or a reply that is
// not "<4xx|5xx> <x.y.z> text" of the right class.
std::optional<Verdict> stated_action(const Finding& finding) {
    const std::string_view action = finding.attr("action");
    Action kind;
    if (action == "reject") kind = Action::reject;
    else if (action == "tempfail") kind = Action::tempfail;
    else if (action == "disconnect") kind = Action::disconnect;
    else return std::nullopt;
    const std::string_view reply = finding.attr("reply");
    const auto space = reply.find(' ');
    const auto second = space == std::string_view::npos ? space : reply.find(' ', space + 1);
    if (reply.size() < 3 || space != 3 || second == std::string_view::npos ||
        !std::isdigit(static_cast<unsigned char>(reply[0])) || !std::isdigit(static_cast<unsigned char>(reply[1])) ||
        !std::isdigit(static_cast<unsigned char>(reply[2])))
        return std::nullopt;
    const char klass = kind == Action::reject ? '5' : '4';
    const std::string_view enhanced = reply.substr(space + 1, second - space - 1);
    if (reply[0] != klass || enhanced.empty() || enhanced[0] != klass) return std::nullopt;
    return Verdict{kind, (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0'), std::string(enhanced),
                   std::string(reply.substr(second + 1)), "filter." + finding.name};
}

// action=quarantine (DMARC p=quarantine): no reply, the client gets the 250 of
// the quarantine store. Weaker than any refusal: it decides only when no finding
// refuses or defers the message.
std::optional<Verdict> quarantine_action(const std::vector<Finding>& findings) {
    for (const auto& finding : findings) {
        if (finding.attr("action") != "quarantine") continue;
        Verdict verdict{Action::quarantine, 0, {}, {}, "filter." + finding.name};
        verdict.reason = finding.reason.empty() ? finding.name : finding.reason;
        verdict.filter = filter_of_finding(finding.name);
        return verdict;
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(Verdict::Action action) {
    switch (action) {
        case Action::proceed: return "proceed";
        case Action::tempfail: return "tempfail";
        case Action::reject: return "reject";
        case Action::disconnect: return "disconnect";
        case Action::quarantine: return "quarantine";
    }
    return "proceed";
}

std::string filter_of_finding(std::string_view finding) {
    const std::string_view prefix = finding.substr(0, finding.find('.'));
    if (prefix == "ratelimit") return "rate_limit";
    if (prefix == "dnswl" || prefix == "fcrdns") return "dnsbl";
    return std::string(prefix);
}

// The built-in rules and the filters' shorthand (their on_<result> settings),
// after the policy file's rules. The first finding that calls for an answer
// decides; the rule names it, `filter` names the filter it came from.
Verdict Policy::decide(core::Stage, const std::vector<Finding>& findings) const {
    auto from = [](const Finding& finding, Verdict verdict) {
        verdict.filter = filter_of_finding(finding.name);
        return verdict;
    };
    for (const auto& finding : findings) {
        if (finding.name == "ratelimit.connections" && finding.outcome == Outcome::fail)
            return from(finding, {Action::disconnect, 421, "4.7.0", "Too many connections from your network, try again later",
                                  "default.ratelimit.connections"});
        if (finding.name == "ratelimit.messages" && finding.outcome == Outcome::fail)
            return from(finding, {Action::tempfail, 451, "4.7.0", "Too many messages from your network, try again later",
                                  "default.ratelimit.messages"});
        if (finding.name == "greylist" && finding.outcome == Outcome::softfail && finding.attr("action") == "defer")
            return from(finding, {Action::tempfail, 451, "4.7.1",
                                  "Greylisted, please try again in " + std::string(finding.attr("retry_after")) +
                                      " seconds",
                                  "default.greylist"});
        if (auto verdict = stated_action(finding)) return from(finding, std::move(*verdict));
    }

    // Fail closed on a filter that could not decide and stated no action of its
    // own (a filter that threw, an unreachable store with fail_open off): a
    // temporary refusal, so the sender retries instead of mail slipping past a check.
    for (const auto& finding : findings) {
        if (finding.outcome == Outcome::temperror && finding.attr("action").empty())
            return from(finding, {Action::tempfail, 451, "4.7.0", "Temporary local problem, try again later",
                                  "default.temperror:" + finding.name});
    }
    if (auto quarantine = quarantine_action(findings)) return *quarantine;
    return {Action::proceed, 0, {}, {}, "default"};
}

}  // namespace mxgate::policy
