// What a HELO/EHLO argument is, syntactically (RFC 5321 §4.1.1.1: a domain or an
// address literal). Pure; the HELO filter decides what to refuse.
#pragma once

#include <cstdint>
#include <string_view>

namespace mxgate::filters::helo {

enum class HeloName : std::uint8_t {
    fqdn,             // "mail.example.org", "mail.example.org."
    single_label,     // "localhost": a hostname without a dot
    address_literal,  // "[192.0.2.1]", "[IPv6:2001:db8::1]"
    invalid,          // anything else
};

// A hostname: labels of letters, digits and hyphens (RFC 1035 §2.3.1, a digit may
// lead, RFC 1123 §2.1), each 1..63 octets and not starting or ending with '-', at
// most 255 octets, one trailing dot allowed. All digits and dots ("192.0.2.1") is
// no hostname, as in Postfix's valid_hostname().
bool is_hostname(std::string_view name);
// "[1.2.3.4]" or "[IPv6:...]" (the tag in any case), the address strictly written.
bool is_address_literal(std::string_view name);
HeloName classify(std::string_view name);

}  // namespace mxgate::filters::helo
