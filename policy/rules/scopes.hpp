// What a policy decision settles beyond its own stage, by scope: a rule at
// connect or HELO speaks for the session, at MAIL FROM or end of data for the
// transaction, at RCPT for that recipient only. The session applies each stage's
// Decision here and asks, before the next stage, for the score to carry, whether
// an `accept` ended policy, which filters `skip` spares, which fields to add to
// the message and where `route` sends a recipient. Pure, so `policy test` walks a
// transaction the way the session does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/rules/evaluate.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::policy::rules {

struct Settled {
    long score = 0;
    bool accepted = false;             // an `accept`: no later rule and no later filter runs
    std::string accepted_by;           // the rule of that accept, for the logs
    std::vector<std::string> skip;     // filters not to run
    std::vector<std::string> headers;  // fields to add to the message, without CRLF
    std::string route;                 // backend name; "" = the router's choice

    bool skips(std::string_view filter) const;
    void apply(const Decision& decision);
};

class Scopes {
public:
    // A new HELO starts again from what connect settled (repeating EHLO must not
    // add a score up), a new MAIL from what the HELO settled, each RCPT from what
    // MAIL settled.
    void begin(core::Stage stage);
    // The RCPT being decided was accepted: its scope counts for the message.
    void recipient_accepted();
    // What holds at `stage`. At end of data: the transaction's, plus what every
    // accepted recipient settled alike (accept, skip) and any of them added (headers).
    const Settled& at(core::Stage stage) const;
    void apply(core::Stage stage, const Decision& decision);

private:
    Settled& scope(core::Stage stage);

    Settled connect_, helo_, transaction_, recipient_, message_;
    std::optional<Settled> recipients_;  // what the accepted recipients settled in common
};

}  // namespace mxgate::policy::rules
