// The offline walk of a transaction (walk.hpp). The order of steps in run()
// follows Session::run_stage (proxy/session/session_policy.cpp); a change there
// belongs here too.
#include "policy/rules/walk.hpp"

#include <algorithm>

#include "policy/rules/scopes.hpp"
#include "policy/rules/stage_verdict.hpp"

namespace mxgate::policy::rules {

namespace {

using core::Stage;
using Action = Verdict::Action;

// What the client hears when policy lets a stage go on. The greeting and the EHLO
// reply are the server's own; RCPT and end of data are the backend's in a session.
core::Reply carry_on_reply(Stage stage) {
    switch (stage) {
        case Stage::connect: return core::make_reply(220, "", "(greeting)");
        case Stage::helo: return core::make_reply(250, "", "(EHLO reply)");
        case Stage::mail_from: return core::make_reply(250, "2.1.0", "Ok");
        case Stage::rcpt: return core::make_reply(250, "2.1.5", "Ok");
        case Stage::end_of_data: break;
    }
    return core::make_reply(250, "2.0.0", "Ok");
}

bool refuses(const StageStep& step) {
    return step.verdict && !step.quarantine_ignored && step.verdict->action != Action::proceed &&
           step.verdict->action != Action::quarantine;
}

class Walker {
public:
    Walker(const CompiledPolicy& policy, const Transaction& transaction, ConfirmedName confirmed_name)
        : policy_(policy), transaction_(transaction), confirmed_name_(confirmed_name) {}

    Walk walk() {
        for (const Stage stage : {Stage::connect, Stage::helo, Stage::mail_from})
            if (refuses(run(stage))) return ended_by(walk_.steps.back());
        std::optional<std::size_t> first_refusal;
        for (std::size_t i = 0; i < transaction_.recipients.size(); ++i) {
            const StageStep& step = run(Stage::rcpt, i);
            if (step.verdict && step.verdict->action == Action::disconnect) return ended_by(step);
            if (refuses(step)) {
                if (!first_refusal) first_refusal = walk_.steps.size() - 1;
                continue;
            }
            scopes_.recipient_accepted();
            accepted_.push_back(transaction_.recipients[i]);
        }
        if (accepted_.empty()) {
            if (first_refusal) return ended_by(walk_.steps[*first_refusal]);
            return ended_by(walk_.steps.back());  // no recipient at all: MAIL FROM's answer stands
        }
        const StageStep& data = run(Stage::end_of_data);
        if (refuses(data) || (data.verdict && data.verdict->action == Action::quarantine && !data.quarantine_ignored))
            return ended_by(data);
        walk_.verdict = {"deliver", accepted_by_, Stage::end_of_data, data.decision.score, data.reply};
        return std::move(walk_);
    }

private:
    Facts facts_for(Stage stage, std::optional<std::size_t> recipient) const {
        Facts facts;
        facts.client_ip = transaction_.client_ip;
        if (auto name = confirmed_name_(visible_)) {
            facts.rdns = std::move(*name);
            facts.fcrdns = true;
        }
        if (stage >= Stage::helo) facts.helo = transaction_.helo;
        if (stage >= Stage::helo) facts.tls = transaction_.tls;  // the EHLO walked is the one after STARTTLS
        if (facts.tls) facts.tls_version = transaction_.tls_version;
        facts.trusted = transaction_.trusted;
        if (stage >= Stage::mail_from) facts.sender = transaction_.sender;
        facts.recipients = accepted_;
        if (recipient) facts.recipient = transaction_.recipients[*recipient];
        if (stage == Stage::end_of_data) {
            facts.message_size = transaction_.message_size;
            facts.header_fields = transaction_.header_fields;
        }
        facts.findings = visible_;
        facts.score = scopes_.at(stage).score;
        return facts;
    }

    // A content filter still reads a message whose verdict came before the
    // filters, so at end of data its findings arrive all the same.
    bool content_filters_run(Stage stage) const {
        if (stage != Stage::end_of_data) return false;
        return std::any_of(transaction_.findings.begin(), transaction_.findings.end(), [&](const GivenFinding& f) {
            return f.stage == stage && !scopes_.at(stage).skips(f.filter);
        });
    }

    const StageStep& run(Stage stage, std::optional<std::size_t> recipient = std::nullopt) {
        StageStep& step = walk_.steps.emplace_back();
        step.stage = stage;
        step.recipient = recipient;
        scopes_.begin(stage);
        step.score_before = scopes_.at(stage).score;
        if (scopes_.at(stage).accepted) {
            step.policy_ran = false;
            step.decision.score = scopes_.at(stage).score;
            step.reply = carry_on_reply(stage);
            return step;
        }
        Decision& decision = step.decision;
        decision = evaluate_before_filters(policy_, stage, facts_for(stage, recipient), Tracing::on);
        step.trace_before_filters = decision.trace.size();
        // As the session: a verdict before the filters spares them, `stop` ends only the rules.
        if (decision.terminal == Terminal::none || decision.terminal == Terminal::stop || content_filters_run(stage)) {
            std::vector<std::string> skip = scopes_.at(stage).skip;
            skip.insert(skip.end(), decision.skip_filters.begin(), decision.skip_filters.end());
            for (const auto& given : transaction_.findings) {
                if (given.stage != stage || (given.recipient && given.recipient != recipient)) continue;
                const bool skipped = std::find(skip.begin(), skip.end(), given.filter) != skip.end();
                (skipped ? step.hidden : step.found).push_back(given.finding);
            }
            visible_.insert(visible_.end(), step.found.begin(), step.found.end());
            step.filters_ran = true;
            if (decision.resume_at) {
                Facts facts = facts_for(stage, recipient);
                facts.stage_findings = step.found;
                evaluate_after_filters(policy_, stage, facts, decision, Tracing::on);
            }
        }
        scopes_.apply(stage, decision);
        step.verdict = stage_verdict(decision);
        step.reply = carry_on_reply(stage);
        if (!step.verdict) return step;
        if (step.verdict->action == Action::proceed) {
            accepted_by_ = step.verdict->rule;
        } else if (step.verdict->action == Action::quarantine) {
            // Only a held message can still be kept from its backend (Session::run_stage).
            step.quarantine_ignored = stage != Stage::end_of_data || !transaction_.quarantine_store;
        } else {
            step.reply = step.verdict->reply();
        }
        return step;
    }

    Walk ended_by(const StageStep& step) {
        const Action action = step.verdict ? step.verdict->action : Action::proceed;
        walk_.verdict = {std::string(verdict_name(action)), step.verdict ? step.verdict->rule : std::string(),
                         step.stage, step.decision.score, step.reply};
        return std::move(walk_);
    }

    const CompiledPolicy& policy_;
    const Transaction& transaction_;
    ConfirmedName confirmed_name_;
    Scopes scopes_;
    std::vector<core::Finding> visible_;  // every finding of the transaction so far, as Session::findings_
    std::vector<core::Address> accepted_;
    std::string accepted_by_;  // the last rule whose `accept` let the transaction on
    Walk walk_;
};

}  // namespace

std::string_view verdict_name(Action action) { return action == Action::proceed ? "deliver" : to_string(action); }

Walk walk_transaction(const CompiledPolicy& policy, const Transaction& transaction, ConfirmedName confirmed_name) {
    return Walker(policy, transaction, confirmed_name).walk();
}

}  // namespace mxgate::policy::rules
