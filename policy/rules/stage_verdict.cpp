// The verdict of one stage (stage_verdict.hpp).
#include "policy/rules/stage_verdict.hpp"

#include "policy/rules/smtp_reply.hpp"

namespace mxgate::policy::rules {

namespace {

Verdict::Action action_of(Terminal terminal) {
    switch (terminal) {
        case Terminal::reject: return Verdict::Action::reject;
        case Terminal::tempfail: return Verdict::Action::tempfail;
        case Terminal::disconnect: return Verdict::Action::disconnect;
        case Terminal::quarantine: return Verdict::Action::quarantine;
        default: return Verdict::Action::proceed;
    }
}

}  // namespace

std::optional<Verdict> stage_verdict(const Decision& decision) {
    if (decision.terminal == Terminal::stop || decision.terminal == Terminal::none) return std::nullopt;
    Verdict verdict;
    verdict.action = action_of(decision.terminal);
    verdict.rule = decision.rule;
    if (auto reply = smtp_reply(decision)) {
        verdict.code = reply->code;
        verdict.enhanced = reply->enhanced;
        verdict.text = reply->lines.empty() ? std::string() : reply->lines.front();
    }
    verdict.reason = decision.quarantine_reason.empty() ? decision.rule : decision.quarantine_reason;
    return verdict;
}

}  // namespace mxgate::policy::rules
