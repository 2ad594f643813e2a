// What policy decides after a stage: continue, or answer the client now.
// Every verdict names the rule that made it, so logs can say why.
#pragma once

#include <string>

namespace mxgate::policy {

struct Verdict {
    enum class Action { proceed, tempfail, reject, disconnect };
    Action action = Action::proceed;
    int code = 0;             // 4xx / 5xx for tempfail, reject, disconnect (421)
    std::string enhanced;     // RFC 3463 code
    std::string text;         // client-visible: a built-in rule's or a filter's configured reply, never its reason
    std::string rule;         // rule id ("default.greylist", "filter.spf"); "default" when nothing matched
};

}  // namespace mxgate::policy
