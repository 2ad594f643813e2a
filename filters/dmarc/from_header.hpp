// The From: field (RFC 5322 §3.6.2) read for DMARC: the domains of its mailboxes,
// the identifier DMARC protects (RFC 7489 §3.1). A pure function over attacker
// text (fuzzed by tests/fuzz/from_header_fuzz.cpp): it never throws, never looks
// anything up, and reports a malformed field as an error value.
// Accepted: mailbox-list with name-addr and addr-spec, groups (RFC 6854 allows
// them in From:), nested comments and folding anywhere CFWS may stand, quoted
// local parts and display names, domain literals, UTF-8 in atoms (RFC 6532), and
// the obs- forms that cannot hide an address: CFWS around dots, empty list
// elements, a source route in angle brackets. Encoded words (RFC 2047) are atoms
// of the display name and are never decoded: they are not addresses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mxgate::filters::dmarc {

struct Mailbox {
    std::string local_part;  // as written, quotes and escapes removed
    std::string domain;      // lower-cased (ASCII); a literal keeps its brackets: "[192.0.2.1]"
    bool domain_literal = false;
};

struct ParsedFrom {
    std::vector<Mailbox> mailboxes;  // in field order; empty for "undisclosed-recipients:;"
    std::string error;               // non-empty: the field is malformed, and why (for logs)
    bool ok() const noexcept { return error.empty(); }
};

// True when `field` ("Name: value\r\n" as received) is a From: field: the name
// "From" in any case, optional WSP, then ':' (RFC 5322 §4.5.3 obs-optional).
bool is_from_field(std::string_view field);

// The mailboxes of a From: field's value (everything after the colon; folding
// CRLFs included). Never throws.
ParsedFrom parse_from(std::string_view value);

// The value of a whole field: what follows the first ':'.
std::string_view field_value(std::string_view field);

}  // namespace mxgate::filters::dmarc
