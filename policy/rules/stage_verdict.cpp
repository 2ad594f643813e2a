// The verdict of one stage (stage_verdict.hpp).
#include "policy/rules/stage_verdict.hpp"

#include <algorithm>

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

StageVerdict stage_verdict(const Decision& decision, core::Stage stage, const CompiledPolicy& policy,
                           const Policy& built_in, const std::vector<core::Finding>& stage_findings) {
    StageVerdict result;
    if (decision.terminal == Terminal::stop) return result;
    if (decision.terminal == Terminal::none) {
        Verdict verdict = built_in.decide(stage, stage_findings);
        if (verdict.action == Verdict::Action::proceed) return result;
        const auto& monitored = policy.monitored_filters;
        const bool only_logged = std::find(monitored.begin(), monitored.end(), verdict.filter) != monitored.end();
        (only_logged ? result.monitored : result.verdict) = std::move(verdict);
        return result;
    }
    Verdict& verdict = result.verdict.emplace();
    verdict.action = action_of(decision.terminal);
    verdict.rule = decision.rule;
    if (auto reply = smtp_reply(decision)) {
        verdict.code = reply->code;
        verdict.enhanced = reply->enhanced;
        verdict.text = reply->lines.empty() ? std::string() : reply->lines.front();
    }
    verdict.reason = decision.quarantine_reason.empty() ? decision.rule : decision.quarantine_reason;
    return result;
}

}  // namespace mxgate::policy::rules
