// Runs the rules of one stage over the facts, in file order: a matching rule adds
// its score, headers, skipped filters and route, and a terminal action (accept,
// reject, tempfail, disconnect, quarantine, stop) ends the stage. A rule in
// monitor mode changes nothing: what it would have done is recorded beside the
// decision. Pure: no I/O, no allocation beyond the decision itself unless a trace
// is asked for (`policy test`, explain).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/rules/compiled_policy.hpp"
#include "policy/rules/facts.hpp"

namespace mxgate::policy::rules {

struct MonitoredVerdict {
    std::string rule;
    std::string filter;  // a filter's default rule (monitor_filters): that filter; "" for a rule of the file
    Terminal terminal = Terminal::none;  // none when the rule would only have scored or tagged
    ReplySpec reply;
    long score = 0;
};

struct TraceStep {
    std::string rule;
    bool matched = false;
    bool monitored = false;
    std::string why;  // "client_ip 192.0.2.1: in 192.0.2.0/24" or the first condition that failed
};

struct Decision {
    Terminal terminal = Terminal::none;  // none: carry on with the transaction
    std::string rule;                    // the rule that decided; "" when none did
    ReplySpec reply;                     // as the rule wrote it; smtp_reply() fills defaults
    std::string quarantine_reason;
    long score = 0;  // Facts::score plus this stage's rules
    std::vector<std::string> add_headers;
    std::vector<std::string> skip_filters;
    std::string route;
    std::vector<MonitoredVerdict> monitored;
    std::vector<TraceStep> trace;  // only when asked for
    std::size_t rules_evaluated = 0;
    // evaluate_before_filters stopped at this rule (a position in the stage's
    // rules), the first that waits for the stage's filters; nullopt: decided or done.
    std::optional<std::size_t> resume_at;
};

enum class Tracing : bool { off, on };

// Whether one finding meets a ConditionKind::finding condition (a filter's
// default rule): name or prefix, outcome, attributes, and none of its children.
bool finding_meets(const Condition& condition, const core::Finding& finding);

// Every rule of the stage, with every finding already in `facts`.
Decision evaluate(const CompiledPolicy& policy, core::Stage stage, const Facts& facts, Tracing tracing = Tracing::off);

// The same in two halves around the stage's filters: the rules before the first
// one that reads a finding of this stage (Rule::after_filters) run first, so a
// rule on the client address can refuse, accept or `skip` before any DNS query;
// then, with the filters' findings in `facts`, the rest continue `decision`.
Decision evaluate_before_filters(const CompiledPolicy& policy, core::Stage stage, const Facts& facts,
                                 Tracing tracing = Tracing::off);
void evaluate_after_filters(const CompiledPolicy& policy, core::Stage stage, const Facts& facts, Decision& decision,
                            Tracing tracing = Tracing::off);

}  // namespace mxgate::policy::rules
