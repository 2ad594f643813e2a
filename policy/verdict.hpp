// What policy decides after a stage: continue, or answer the client now.
// Every verdict names the rule that made it, so logs can say why.
#pragma once

#include <string>
#include <string_view>

namespace mxgate::policy {

struct Verdict {
    // quarantine: only at end_of_data on a held message: the client gets 250 once the
    // quarantine store has the message, the route's backend never sees it. The
    // session treats it as proceed (and logs that) at any earlier stage.
    enum class Action { proceed, tempfail, reject, disconnect, quarantine };
    Action action = Action::proceed;
    int code = 0;             // 4xx / 5xx for tempfail, reject, disconnect (421); 0 for quarantine
    std::string enhanced;     // RFC 3463 code
    std::string text;         // client-visible: a built-in rule's or a filter's configured reply, never its reason
    std::string rule;         // rule id ("default.greylist", "filter.spf"); "default" when nothing matched
    std::string reason;       // quarantine: the finding's reason, for the quarantine header and metadata
    std::string filter;       // a built-in rule's: the filter whose finding it acted on (monitor_filters)
};

std::string_view to_string(Verdict::Action action);  // "reject", "tempfail", ...

}  // namespace mxgate::policy
