// What policy decides after a stage: continue, or answer the client now.
// Every verdict names the rule that made it, so logs can say why.
#pragma once

#include <string>
#include <string_view>

#include "proxy/core/reply.hpp"

namespace mxgate::policy {

struct Verdict {
    // quarantine: only at end_of_data on a held message: the client gets 250 once the
    // quarantine store has the message, the route's backend never sees it. The
    // session treats it as proceed (and logs that) at any earlier stage.
    enum class Action { proceed, tempfail, reject, disconnect, quarantine };
    Action action = Action::proceed;
    int code = 0;             // 4xx / 5xx for tempfail, reject, disconnect (421); 0 for quarantine
    std::string enhanced;     // RFC 3463 code
    std::string text;         // client-visible: the rule's reply text (templates filled), never a finding's reason
    std::string rule;         // the rule that decided: "block-sales", "greylist.defer", "default.temperror"
    std::string reason;       // quarantine: the rule's reason, for the quarantine header and metadata

    // What the client is told: the one place a verdict becomes a reply (tempfail,
    // reject, disconnect; a proceed or quarantine has no code of its own).
    core::Reply reply() const { return core::make_reply(code, enhanced, text); }
};

std::string_view to_string(Verdict::Action action);  // "reject", "tempfail", ...

}  // namespace mxgate::policy
