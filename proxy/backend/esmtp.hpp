// What mxgate says to a backend, as text: the EHLO/LHLO capability list it reads
// back, the MAIL/RCPT lines with only the parameters the backend advertised, and
// the client identity as Postfix XCLIENT / XFORWARD commands. Pure code, no I/O.
// Never fails: a parameter the backend cannot take is dropped (the SMTPUTF8 case
// is the caller's decision, see Conversation), an oversized identity value is
// sent as [UNAVAILABLE].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/backend/backend.hpp"
#include "proxy/core/reply.hpp"

namespace mxgate::backend {

struct Capabilities {
    bool pipelining = false;            // RFC 2920
    bool size = false;                  // RFC 1870
    std::uint64_t max_size = 0;         // SIZE argument; 0 = none given
    bool eightbitmime = false;          // RFC 6152
    bool smtputf8 = false;              // RFC 6531
    bool dsn = false;                   // RFC 3461
    bool enhanced_status_codes = false; // RFC 2034
    bool starttls = false;              // RFC 3207
    bool xclient = false;               // Postfix XCLIENT_README
    std::vector<std::string> xclient_attributes;   // upper case, e.g. NAME ADDR PORT PROTO HELO
    bool xforward = false;              // Postfix XFORWARD_README
    std::vector<std::string> xforward_attributes;  // upper case
};

// From a 250 reply to EHLO/LHLO: the first line is the server's name, each
// further line is "keyword [params]" (RFC 5321 §4.1.1.1). Unknown keywords are ignored.
Capabilities parse_capabilities(const core::Reply& ehlo);

// xtext = *( xchar / hexchar ): "+" "=" and anything outside "!".."~" become
// "+HH" (RFC 3461 §4).
std::string xtext_encode(std::string_view value);

// "MAIL FROM:<sender> [params]\r\n" with SIZE/BODY only when advertised,
// SMTPUTF8 when advertised, RET/ENVID only with DSN. Other client params are dropped.
std::string mail_command(const Envelope& envelope, const Capabilities& caps);
// "RCPT TO:<address> [NOTIFY=.. ORCPT=..]\r\n"; DSN params only with DSN.
std::string rcpt_command(const Recipient& recipient, const Capabilities& caps);

// Client identity lines (each with CRLF) for XCLIENT or XFORWARD: the attributes
// NAME ADDR PORT PROTO HELO (and for XFORWARD IDENT SOURCE) that the backend
// listed, split so that no line exceeds `max_line` octets including CRLF.
// Empty when the backend listed none of them.
std::vector<std::string> identity_commands(std::string_view verb, const ClientInfo& client,
                                           const std::vector<std::string>& listed,
                                           std::size_t max_line = 500);

// "IPV6:2001:db8::1" for IPv6 (XCLIENT/XFORWARD ADDR syntax), the dotted quad
// for IPv4 and for IPv4-mapped IPv6.
std::string identity_address(const boost::asio::ip::address& address);

}  // namespace mxgate::backend
