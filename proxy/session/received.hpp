// Builds the Received: trace header mxgate prepends (RFC 5321 §4.4, RFC 5322
// §3.6.7; "with" protocol names from RFC 3848 and RFC 6531). Pure code. Client
// text can never break the field: the HELO name is neutered and cut as Postfix
// does, a recipient that needs quoting is left out, a client name that is not a
// plain host name is "unknown"; every line stays under 998 octets.
#pragma once

#include <chrono>
#include <string>

namespace mxgate::session {

struct ReceivedInfo {
    std::string helo;           // as the client (or a front-end's XCLIENT HELO) gave it
    std::string client_address; // "192.0.2.1" or "2001:db8::1"
    std::string client_name;    // forward-confirmed reverse DNS name, else XCLIENT NAME; empty = "unknown"
    std::string hostname;       // ours
    bool esmtp = true;
    bool smtputf8 = false;
    std::string tls_version;    // empty without TLS
    std::string tls_cipher;
    std::string id;             // session id + transaction number
    std::string recipient;      // named only when the message has exactly one
    std::chrono::system_clock::time_point when;
};

// The complete header, folded, ending in CRLF.
std::string received_header(const ReceivedInfo& info);

// "Mon, 23 Nov 2026 14:25:07 +0000"
std::string rfc5322_date(std::chrono::system_clock::time_point when);

}  // namespace mxgate::session
