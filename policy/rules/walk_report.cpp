// The trace of `policy test` as text (walk_report.hpp).
#include "policy/rules/walk_report.hpp"

#include "policy/rules/smtp_reply.hpp"

namespace mxgate::policy::rules {

namespace {

using core::Stage;

std::string findings_text(const std::vector<core::Finding>& findings) {
    std::string text;
    for (const auto& finding : findings) text += (text.empty() ? "" : ", ") + finding_text(finding);
    return text.empty() ? "none" : text;
}

std::string address_text(const core::Address& address) { return "<" + address.str() + ">"; }

std::string stage_heading(const StageStep& step, const Transaction& t) {
    std::string heading(core::to_string(step.stage));
    switch (step.stage) {
        case Stage::connect:
            heading += ": client " + (t.client_ip ? t.client_ip->to_string() : std::string("unknown")) +
                       (t.trusted ? " (trusted)" : "");
            break;
        case Stage::helo:
            heading += ": " + (t.helo.empty() ? std::string("(none)") : t.helo) +
                       (t.tls ? ", TLS " + t.tls_version : std::string(", no TLS"));
            break;
        case Stage::mail_from: heading += ": " + address_text(t.sender); break;
        case Stage::rcpt: heading += ": " + address_text(t.recipients[step.recipient.value_or(0)]); break;
        case Stage::end_of_data:
            heading += t.has_message ? ": " + std::to_string(t.message_size) + " bytes, " +
                                           std::to_string(t.header_fields.size()) + " header fields"
                                     : std::string(": no message given (size 0, no header fields)");
            break;
    }
    return heading + "\n";
}

void add_trace(std::string& out, const std::vector<TraceStep>& trace, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
        const TraceStep& step = trace[i];
        out += std::string("  rule ") + step.rule + (step.monitored ? " [monitor]" : "") +
               (step.matched ? ": MATCH: " : ": no: ") + step.why + "\n";
    }
}

void add_actions(std::string& out, const StageStep& step) {
    const Decision& d = step.decision;
    std::string actions;
    if (d.score != step.score_before)
        actions += "; score " + std::string(d.score > step.score_before ? "+" : "") +
                   std::to_string(d.score - step.score_before) + " (now " + std::to_string(d.score) + ")";
    for (const auto& field : d.add_headers) actions += "; add_header \"" + field + "\"";
    for (const auto& filter : d.skip_filters) actions += "; skip " + filter;
    if (!d.route.empty()) actions += "; route " + d.route;
    if (!actions.empty()) out += "  actions: " + actions.substr(2) + "\n";
    for (const auto& would : d.monitored) {
        std::string would_do;
        if (would.terminal != Terminal::none) would_do = " " + std::string(to_string(would.terminal));
        if (auto reply = smtp_reply(would.terminal, would.reply)) would_do += " (" + reply->summary() + ")";
        if (would.score != 0)
            would_do += std::string(would_do.empty() ? "" : ",") + " score " + (would.score > 0 ? "+" : "") +
                        std::to_string(would.score);
        out += "  monitored: rule " + would.rule + " would" + (would_do.empty() ? " match" : would_do) + "\n";
    }
}

void add_verdict(std::string& out, const StageStep& step) {
    if (!step.verdict) {
        if (step.decision.terminal == Terminal::stop) out += "  stop by rule " + step.decision.rule + "\n";
        return;
    }
    const Verdict& v = *step.verdict;
    out += "  decided: " +
           (step.decision.terminal == Terminal::accept ? std::string("accept") : std::string(verdict_name(v.action))) +
           " by rule " + v.rule + "\n";
    if (!step.quarantine_ignored) return;
    const bool message = step.stage == Stage::end_of_data;
    out += std::string("  quarantine ignored: ") +
           (message ? "no quarantine store configured" : "only a message can be quarantined") + "; delivered\n";
}

}  // namespace

std::string finding_text(const core::Finding& finding) {
    std::string text = finding.name + "=" + std::string(core::to_string(finding.outcome));
    for (const auto& [key, value] : finding.attrs)
        if (key != "add_header" && key != "auth_results") text += ";" + key + "=" + value;
    return text;
}

std::string walk_report(const Walk& walk, const Transaction& transaction) {
    std::string out;
    for (const StageStep& step : walk.steps) {
        out += stage_heading(step, transaction);
        if (!step.policy_ran) {
            out += "  policy: not run, an earlier accept covers this stage\n";
        } else {
            const auto& trace = step.decision.trace;
            add_trace(out, trace, 0, step.trace_before_filters);
            if (step.filters_ran) {
                out += "  findings: " + findings_text(step.found) + "\n";
                if (!step.hidden.empty()) out += "  hidden (filter skipped): " + findings_text(step.hidden) + "\n";
            } else {
                out += "  filters: not run, a rule decided before them\n";
            }
            add_trace(out, trace, step.trace_before_filters, trace.size());
            add_actions(out, step);
            add_verdict(out, step);
        }
        out += "  reply: " + step.reply.summary() + "\n";
    }
    return out + summary_line(walk.verdict) + "\n";
}

std::string summary_line(const TransactionVerdict& verdict) {
    return "verdict: " + verdict.verdict + " by rule " + (verdict.rule.empty() ? std::string("none") : verdict.rule) +
           " (score " + std::to_string(verdict.score) + "): " + verdict.reply.summary();
}

}  // namespace mxgate::policy::rules
