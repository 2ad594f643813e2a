// The mail address of an SMTP envelope, parsed by proxy/smtp and read by the
// session, the backends and the filters, with local part and domain kept apart.
#pragma once

#include <string>

namespace mxgate::core {

// Mailbox = Local-part "@" ( Domain / address-literal ), RFC 5321 §4.1.2.
// An empty address is the null reverse-path "<>". "Postmaster" (no domain) is
// allowed as a forward-path (RFC 5321 §4.5.1).
struct Address {
    std::string local;   // as written (quoted-string kept with its quotes)
    std::string domain;  // as written; empty for <> and <Postmaster>
    bool utf8 = false;   // contains non-ASCII (needs SMTPUTF8, RFC 6531 §3.3)
    bool empty() const { return local.empty() && domain.empty(); }
    std::string str() const { return domain.empty() ? local : local + "@" + domain; }
};

}  // namespace mxgate::core
