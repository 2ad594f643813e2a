// The evaluator (evaluate.hpp): conditions over facts, actions into a decision.
#include "policy/rules/evaluate.hpp"

#include <charconv>

#include "policy/rules/text_template.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::policy::rules {

namespace {

using core::Finding;

// The facts as conditions compare them, lower-cased once per evaluation.
struct Context {
    const Facts& facts;
    std::string helo, rdns, sender_whole, sender_domain;
    std::vector<std::pair<std::string, std::string>> recipients;  // whole, domain
    long score = 0;

    explicit Context(const Facts& f) : facts(f), helo(core::ascii_lower(f.helo)), rdns(core::ascii_lower(f.rdns)) {
        if (f.sender) {
            // The null reverse-path is "<>", so a rule can name it.
            sender_whole = f.sender->empty() ? "<>" : core::ascii_lower(f.sender->str());
            sender_domain = core::ascii_lower(f.sender->domain);
        }
        // At RCPT a recipient condition is about the one being asked; later, about any.
        if (f.recipient)
            recipients.emplace_back(core::ascii_lower(f.recipient->str()), core::ascii_lower(f.recipient->domain));
        else
            for (const auto& r : f.recipients)
                recipients.emplace_back(core::ascii_lower(r.str()), core::ascii_lower(r.domain));
    }
};

const Finding* find_finding(const Facts& facts, std::string_view name) {
    for (const auto& finding : facts.findings)
        if (finding.name == name) return &finding;
    return nullptr;
}

bool has_outcome(const Condition& c, const Finding* finding) {
    return finding && (c.outcomes & outcome_bit(finding->outcome));
}

// "spf", "dnsbl.*" (a prefix) or "*" (any).
bool name_matches(std::string_view pattern, std::string_view name) {
    if (pattern == "*") return true;
    if (pattern.ends_with(".*")) return name.starts_with(pattern.substr(0, pattern.size() - 1));
    return name == pattern;
}

// "127.0.0.2,127.0.0.4" holds one of the wanted codes.
bool has_code(std::string_view listed, const std::vector<std::string>& wanted) {
    if (wanted.empty()) return true;
    while (!listed.empty()) {
        const auto comma = listed.find(',');
        const std::string_view code = listed.substr(0, comma);
        for (const auto& w : wanted)
            if (code == w) return true;
        if (comma == std::string_view::npos) break;
        listed.remove_prefix(comma + 1);
    }
    return false;
}

// "1.2" -> 12, "1.3" -> 13; -1 for anything else.
long long tls_version_number(std::string_view text) {
    if (text.size() != 3 || text[1] != '.' || text[0] < '0' || text[0] > '9' || text[2] < '0' || text[2] > '9')
        return -1;
    return (text[0] - '0') * 10 + (text[2] - '0');
}

bool holds(const Condition& c, const Context& ctx, std::string* why);

// The value a leaf looked at, for the trace.
std::string fact_shown(const Condition& c, const Context& ctx) {
    const Facts& f = ctx.facts;
    switch (c.kind) {
        case ConditionKind::client_ip: return f.client_ip ? f.client_ip->to_string() : "unknown";
        case ConditionKind::rdns: return ctx.rdns.empty() ? "none" : ctx.rdns;
        case ConditionKind::fcrdns: return f.fcrdns ? "true" : "false";
        case ConditionKind::helo: return ctx.helo;
        case ConditionKind::tls: return f.tls ? "true" : "false";
        case ConditionKind::tls_version: return f.tls_version.empty() ? "none" : f.tls_version;
        case ConditionKind::trusted: return f.trusted ? "true" : "false";
        case ConditionKind::sender: return f.sender ? ctx.sender_whole : "none";
        case ConditionKind::recipient: {
            std::string shown;
            for (const auto& r : ctx.recipients) shown += (shown.empty() ? "" : ",") + r.first;
            return shown.empty() ? "none" : shown;
        }
        case ConditionKind::recipient_count: return std::to_string(f.recipients.size() + (f.recipient ? 1 : 0));
        case ConditionKind::size: return std::to_string(f.message_size);
        case ConditionKind::score: return std::to_string(ctx.score);
        case ConditionKind::header: return "";
        case ConditionKind::finding: {
            std::string shown;
            for (const auto& finding : f.stage_findings)
                if (name_matches(c.name, finding.name))
                    shown += (shown.empty() ? "" : ",") + finding.name + "=" + std::string(core::to_string(finding.outcome));
            return shown.empty() ? "no finding" : shown;
        }
        default: break;
    }
    // Finding conditions: the outcome of the finding read (the first of its name).
    std::string_view name = c.name;
    if (c.kind == ConditionKind::spf)
        name = "spf";
    else if (c.kind == ConditionKind::dkim)
        name = "dkim";
    else if (c.kind == ConditionKind::dmarc)
        name = "dmarc";
    else if (c.kind == ConditionKind::greylist)
        name = "greylist";
    else if (c.kind == ConditionKind::connection_rate)
        name = "ratelimit.connections";
    else if (c.kind == ConditionKind::message_rate)
        name = "ratelimit.messages";
    const Finding* finding = find_finding(f, name);
    return finding ? std::string(core::to_string(finding->outcome)) : "no finding";
}

bool leaf_holds(const Condition& c, const Context& ctx) {
    const Facts& f = ctx.facts;
    switch (c.kind) {
        case ConditionKind::client_ip: return f.client_ip && c.networks->contains(*f.client_ip);
        case ConditionKind::rdns: return !ctx.rdns.empty() && c.names->matches(ctx.rdns, ctx.rdns);
        case ConditionKind::fcrdns: return f.fcrdns == c.expected;
        case ConditionKind::helo: return c.names->matches(ctx.helo, ctx.helo);
        case ConditionKind::tls: return f.tls == c.expected;
        case ConditionKind::tls_version: {
            const long long version = tls_version_number(f.tls_version);
            return f.tls && version >= 0 && c.bounds.contains(version);
        }
        case ConditionKind::trusted: return f.trusted == c.expected;
        case ConditionKind::sender: return f.sender && c.names->matches(ctx.sender_whole, ctx.sender_domain);
        case ConditionKind::recipient:
            for (const auto& [whole, domain] : ctx.recipients)
                if (c.names->matches(whole, domain)) return true;
            return false;
        case ConditionKind::recipient_count:
            return c.bounds.contains(static_cast<long long>(f.recipients.size() + (f.recipient ? 1 : 0)));
        case ConditionKind::size: return c.bounds.contains(static_cast<long long>(f.message_size));
        case ConditionKind::header: {
            bool present = false;
            for (const auto& field : f.header_fields) {
                if (!core::iequals(field.name, c.name)) continue;
                if (!c.values || c.values->matches(field.value)) present = true;
                if (present) break;
            }
            return present == c.expected;
        }
        case ConditionKind::spf: return has_outcome(c, find_finding(f, "spf"));
        case ConditionKind::dkim:
            for (const auto& finding : f.findings) {
                if (finding.name != "dkim" || !has_outcome(c, &finding)) continue;
                const std::string domain = core::ascii_lower(finding.attr("domain"));
                if (!c.names || c.names->matches(domain, domain)) return true;
            }
            return false;
        case ConditionKind::dmarc: {
            const Finding* dmarc = find_finding(f, "dmarc");
            return has_outcome(c, dmarc) && (c.dmarc_policy.empty() || dmarc->attr("policy") == c.dmarc_policy);
        }
        case ConditionKind::dnsbl:
        case ConditionKind::dnswl: {
            // A hit is outcome fail on a block list and pass on an allow list (docs/filters.md).
            const Finding* hit = find_finding(f, c.name);
            const auto listed = c.kind == ConditionKind::dnsbl ? core::Outcome::fail : core::Outcome::pass;
            return hit && hit->outcome == listed && has_code(hit->attr("codes"), c.codes);
        }
        case ConditionKind::greylist: return has_outcome(c, find_finding(f, "greylist"));
        case ConditionKind::connection_rate: return has_outcome(c, find_finding(f, "ratelimit.connections"));
        case ConditionKind::message_rate: return has_outcome(c, find_finding(f, "ratelimit.messages"));
        case ConditionKind::score: return c.bounds.contains(ctx.score);
        case ConditionKind::finding:
            for (const auto& finding : f.stage_findings)
                if (finding_meets(c, finding)) return true;
            return false;
        case ConditionKind::all:
        case ConditionKind::any:
        case ConditionKind::negation: break;
    }
    return false;
}

bool holds(const Condition& c, const Context& ctx, std::string* why) {
    switch (c.kind) {
        case ConditionKind::all:
            for (const auto& child : c.children)
                if (!holds(child, ctx, why)) return false;  // why: the child that failed
            if (why && c.children.empty()) *why = "no conditions";
            return true;
        case ConditionKind::any:
            for (const auto& child : c.children)
                if (holds(child, ctx, why)) return true;
            if (why) *why = "none of " + c.text;
            return false;
        case ConditionKind::negation: {
            const bool inner = holds(c.children.front(), ctx, why);
            if (why) *why = "not (" + *why + ")";
            return !inner;
        }
        default: break;
    }
    const bool result = leaf_holds(c, ctx);
    if (why) {
        const std::string shown = fact_shown(c, ctx);
        *why = c.text + (shown.empty() ? "" : " [" + shown + "]") + (result ? ": yes" : ": no");
    }
    return result;
}

}  // namespace

bool finding_meets(const Condition& c, const Finding& finding) {
    if (!name_matches(c.name, finding.name) || !has_outcome(c, &finding)) return false;
    for (const auto& [key, value] : c.attrs)
        if (finding.attr(key) != value) return false;
    for (const auto& answered : c.children)
        if (finding_meets(answered, finding)) return false;
    return true;
}

std::string_view to_string(Terminal terminal) {
    switch (terminal) {
        case Terminal::none: return "continue";
        case Terminal::accept: return "accept";
        case Terminal::reject: return "reject";
        case Terminal::tempfail: return "tempfail";
        case Terminal::disconnect: return "disconnect";
        case Terminal::quarantine: return "quarantine";
        case Terminal::stop: return "stop";
    }
    return "continue";
}

namespace {

enum class Pause : bool { never, before_filters };

// The reply as the client will read it: placeholders filled from the findings.
ReplySpec rendered(const ReplySpec& written, const Facts& facts) {
    if (!written.templated) return written;
    ReplySpec reply = written;
    reply.text = render_template(written.text, facts.stage_findings, facts.findings);
    reply.templated = false;
    return reply;
}

// Runs the stage's rules from `decision.resume_at` on, adding to `decision`.
void run_rules(const CompiledPolicy& policy, core::Stage stage, const Facts& facts, Tracing tracing, Pause pause,
               Decision& decision) {
    const auto& indexes = policy.by_stage[static_cast<std::size_t>(stage)];
    const std::size_t first = decision.resume_at.value_or(0);
    decision.resume_at.reset();
    Context ctx(facts);
    std::string why;
    for (std::size_t position = first; position < indexes.size(); ++position) {
        const Rule& rule = policy.rules[indexes[position]];
        if (pause == Pause::before_filters && rule.after_filters) {
            decision.resume_at = position;
            return;
        }
        ++decision.rules_evaluated;
        ctx.score = decision.score;
        const bool matched = holds(rule.when, ctx, tracing == Tracing::on ? &why : nullptr);
        if (tracing == Tracing::on) decision.trace.push_back({rule.name, matched, rule.monitor, why});
        if (!matched) continue;
        const Actions& then = rule.then;
        if (rule.monitor) {
            decision.monitored.push_back({rule.name, rule.from_filter, then.terminal, rendered(then.reply, facts), then.score});
            continue;
        }
        decision.score += then.score;
        decision.add_headers.insert(decision.add_headers.end(), then.add_headers.begin(), then.add_headers.end());
        decision.skip_filters.insert(decision.skip_filters.end(), then.skip_filters.begin(), then.skip_filters.end());
        if (!then.route.empty()) decision.route = then.route;
        if (then.terminal == Terminal::none) continue;
        decision.terminal = then.terminal;
        decision.rule = rule.name;
        decision.reply = rendered(then.reply, facts);
        decision.quarantine_reason = then.reason_templated
                                         ? render_template(then.quarantine_reason, facts.stage_findings, facts.findings)
                                         : then.quarantine_reason;
        return;
    }
}

}  // namespace

Decision evaluate(const CompiledPolicy& policy, core::Stage stage, const Facts& facts, Tracing tracing) {
    Decision decision;
    decision.score = facts.score;
    run_rules(policy, stage, facts, tracing, Pause::never, decision);
    return decision;
}

Decision evaluate_before_filters(const CompiledPolicy& policy, core::Stage stage, const Facts& facts,
                                 Tracing tracing) {
    Decision decision;
    decision.score = facts.score;
    run_rules(policy, stage, facts, tracing, Pause::before_filters, decision);
    return decision;
}

void evaluate_after_filters(const CompiledPolicy& policy, core::Stage stage, const Facts& facts, Decision& decision,
                            Tracing tracing) {
    if (decision.resume_at) run_rules(policy, stage, facts, tracing, Pause::never, decision);
}

}  // namespace mxgate::policy::rules
