// The one place a policy decision becomes an SMTP reply (issue 12 item 7): the
// rule's own code, enhanced code and text where it wrote them, else the defaults
// below, so a tempfail is always 4xx and a reject always 5xx.
#pragma once

#include <optional>

#include "policy/rules/evaluate.hpp"
#include "proxy/core/reply.hpp"

namespace mxgate::policy::rules {

// nullopt when the session answers as it would without policy (continue, accept,
// stop, quarantine: the client is told its mail was taken).
std::optional<core::Reply> smtp_reply(const Decision& decision);
// The same for what a monitored rule would have answered (MonitoredVerdict), for the log.
std::optional<core::Reply> smtp_reply(Terminal terminal, const ReplySpec& written);

// The defaults: reject 550 5.7.1, tempfail 451 4.7.1, disconnect 421 4.7.0.
ReplySpec default_reply(Terminal terminal);

}  // namespace mxgate::policy::rules
