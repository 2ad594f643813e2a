// A stage of the session: the rules and the filters, in the order the rules need
// them (docs/policy.md "In the session"). The rules that read nothing this stage's
// filters find run first, and may end the stage before any filter costs a DNS
// query; the filters run (less those a rule skipped); the remaining rules read
// their findings: the file's, then the filters' default rules and
// default.temperror (policy/rules/default_rules.hpp).
#include "filters/dnsbl/fcrdns.hpp"
#include "policy/rules/smtp_reply.hpp"
#include "policy/rules/stage_verdict.hpp"
#include "proxy/log.hpp"
#include "proxy/session/session.hpp"

namespace mxgate::session {

namespace asio = boost::asio;
using policy::rules::Decision;
using policy::rules::Terminal;

namespace {

// OpenSSL's "TLSv1.3" as the rules write it, "1.3".
std::string tls_version_number(const std::string& openssl_name) {
    constexpr std::string_view prefix = "TLSv";
    return openssl_name.starts_with(prefix) ? openssl_name.substr(prefix.size()) : openssl_name;
}

}  // namespace

policy::rules::Facts Session::facts_for(core::Stage stage) {
    policy::rules::Facts facts;
    facts.client_ip = client_.address;
    facts.helo = state_.helo();
    facts.tls = state_.tls();
    if (facts.tls) facts.tls_version = tls_version_number(stream_.tls_version());
    facts.trusted = trusted_;
    if (stage >= core::Stage::mail_from) facts.sender = state_.sender();
    facts.recipients = accepted_recipients_;
    if (stage == core::Stage::rcpt) facts.recipient = state_.pending_rcpt().address;
    if (stage == core::Stage::end_of_data && held_) {
        facts.message_size = held_->spool().size();
        facts.header_fields = held_->header_fields();
    }
    facts.score = policy_scopes_.at(stage).score;
    see_findings(stage, facts);
    return facts;
}

// What the filters found so far, and what it says of the client's name; again
// once the stage's filters have run.
void Session::see_findings(core::Stage stage, policy::rules::Facts& facts) {
    // Only a forward-confirmed name: a PTR record alone says what its owner likes.
    if (auto name = filters::dnsbl::confirmed_name(findings_)) {
        facts.rdns = std::move(*name);
        facts.fcrdns = true;
    }
    facts.findings = findings_;
    if (stage == core::Stage::rcpt && earlier_recipients_findings_ < this_recipient_findings_) {
        // Without the earlier recipients' RCPT findings: `greylist:` is about this one.
        recipient_findings_.assign(findings_.begin(),
                                   findings_.begin() + static_cast<std::ptrdiff_t>(earlier_recipients_findings_));
        recipient_findings_.insert(recipient_findings_.end(),
                                   findings_.begin() + static_cast<std::ptrdiff_t>(this_recipient_findings_),
                                   findings_.end());
        facts.findings = recipient_findings_;
    }
}

// The filters of `stage`, less the skipped ones; their findings join findings_
// (the session's stay before the transaction's) and are returned for the built-in rules.
asio::awaitable<std::vector<core::Finding>> Session::run_filters(core::Stage stage, filters::MessageFeed* feed,
                                                                 std::span<const std::string> skip) {
    std::vector<core::Finding> found;
    if (generation_->chain.idle_at(stage) && (!feed || feed->empty())) co_return found;
    const filters::TransactionView view = view_for(stage);
    found = co_await generation_->chain.run(stage, view, feed, skip);
    const bool session_stage = stage == core::Stage::connect || stage == core::Stage::helo;
    const auto at = session_stage ? findings_.begin() + static_cast<std::ptrdiff_t>(session_findings_end_)
                                  : findings_.end();
    findings_.insert(at, found.begin(), found.end());
    if (session_stage) session_findings_end_ += found.size();
    if (stage == core::Stage::connect) connect_findings_end_ = session_findings_end_;
    co_return found;
}

asio::awaitable<std::optional<policy::Verdict>> Session::run_stage(core::Stage stage, filters::MessageFeed* feed) {
    policy_scopes_.begin(stage);
    if (stage == core::Stage::helo) {
        // Each greeting replaces what the last one found (so a HELO list's weight
        // never counts twice); the connect stage's findings stay.
        findings_.resize(connect_findings_end_);
        session_findings_end_ = connect_findings_end_;
    }
    if (stage == core::Stage::mail_from) {
        accepted_recipients_.clear();
        // An accept at connect or HELO decided every transaction of its scope.
        decided_by_ = policy_scopes_.at(stage).accepted_by;
        earlier_recipients_findings_ = findings_.size();
    }
    if (stage == core::Stage::rcpt) this_recipient_findings_ = findings_.size();
    // An `accept` earlier in the session or transaction: nothing more is checked.
    if (policy_scopes_.at(stage).accepted) co_return std::nullopt;
    const policy::rules::CompiledPolicy* rules = generation_->rules.get();
    Decision decision;
    policy::rules::Facts facts;
    if (rules) {
        facts = facts_for(stage);
        decision = policy::rules::evaluate_before_filters(*rules, stage, facts);
    }
    // A verdict before the filters spares them (`stop` ends only the rules); a
    // content inspector is always finished: it may have lookups under way.
    const bool decided_early =
        decision.terminal != Terminal::none && decision.terminal != Terminal::stop && (!feed || feed->empty());
    std::vector<core::Finding> found;
    if (!decided_early) {
        std::vector<std::string> skip = policy_scopes_.at(stage).skip;
        skip.insert(skip.end(), decision.skip_filters.begin(), decision.skip_filters.end());
        found = co_await run_filters(stage, feed, skip);
        if (rules && decision.resume_at) {
            see_findings(stage, facts);
            facts.stage_findings = found;
            policy::rules::evaluate_after_filters(*rules, stage, facts, decision);
        }
    }
    if (stage == core::Stage::mail_from) earlier_recipients_findings_ = findings_.size();
    policy_scopes_.apply(stage, decision);
    log_monitored(stage, decision);
    std::optional<policy::Verdict> verdict = verdict_of(stage, decision);
    if (!verdict) co_return std::nullopt;
    if (verdict->action == policy::Verdict::Action::proceed) {  // an accept
        log_verdict(stage, *verdict, decision);
        co_return std::nullopt;
    }
    if (verdict->action == policy::Verdict::Action::quarantine &&
        (!feed || config_.quarantine.store == config::QuarantineStore::none)) {
        // Only a held message can still be kept from its backend; without a quarantine it is delivered.
        log::warn(log::Line("quarantine_ignored").add("session", client_.session_id)
                      .add("stage", core::to_string(stage)).add("rule", verdict->rule)
                      .add("why", feed ? "no quarantine configured" : "message not held"));
        co_return std::nullopt;
    }
    log_verdict(stage, *verdict, decision);
    if (verdict->action == policy::Verdict::Action::disconnect) end_ = End::error;
    co_return verdict;
}

// The rules' decision as a verdict (policy/rules/stage_verdict.hpp, shared with
// `mxgate policy test`); nullopt to carry on.
std::optional<policy::Verdict> Session::verdict_of(core::Stage stage, const Decision& decision) {
    std::optional<policy::Verdict> verdict = policy::rules::stage_verdict(decision);
    if (verdict && stage != core::Stage::connect && stage != core::Stage::helo) decided_by_ = verdict->rule;
    return verdict;
}

// One `verdict` line per verdict applied, its rule, the score, the reply; and its count.
void Session::log_verdict(core::Stage stage, const policy::Verdict& verdict, const Decision& decision) const {
    // An accept is a verdict of the rules that the session carries on from (Action::proceed).
    const std::string_view action =
        decision.terminal == Terminal::accept ? std::string_view("accept") : to_string(verdict.action);
    log::Line line("verdict");
    line.add("session", client_.session_id).add("stage", core::to_string(stage)).add("rule", verdict.rule)
        .add("score", decision.score).add("action", action).add("code", verdict.code);
    if (verdict.code != 0) line.add("reply", verdict.reply().summary());
    log::info(line);
    generation_->verdict_counts->count(verdict.rule, action, metrics::VerdictMode::applied);
}

void Session::log_monitored(core::Stage stage, const Decision& decision) const {
    for (const auto& would : decision.monitored) {
        log::Line line("policy_monitor");
        line.add("session", client_.session_id).add("stage", core::to_string(stage)).add("rule", would.rule);
        if (!would.filter.empty()) line.add("filter", would.filter);
        line.add("would", policy::rules::to_string(would.terminal)).add("score", would.score);
        if (auto reply = policy::rules::smtp_reply(would.terminal, would.reply)) line.add("reply", reply->summary());
        log::info(line);
        generation_->verdict_counts->count(would.rule, policy::rules::to_string(would.terminal),
                                           metrics::VerdictMode::monitored);
    }
}

// `route:` named a backend for this recipient (config checked the name at load).
std::optional<core::Reply> Session::route_by_policy() {
    const std::string& name = policy_scopes_.at(core::Stage::rcpt).route;
    if (name.empty()) return std::nullopt;
    const auto backend = config_.backends.find(name);
    if (backend == config_.backends.end()) return std::nullopt;
    return state_.redirect_pending(backend->second);
}

bool Session::policy_reads_message() const {
    const auto* rules = generation_->rules.get();
    return rules && rules->reads_message && !policy_scopes_.at(core::Stage::end_of_data).accepted;
}

}  // namespace mxgate::session
