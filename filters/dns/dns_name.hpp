// One place for "is this text a DNS name we may ask about?" (RFC 1035 §2.3.4):
// labels of 1..63 octets, at most 253 octets in text form without the final dot.
// The callers differ only in which octets a label may hold and whether a final
// dot is allowed, so those are the rules they pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mxgate::filters::dns {

enum class LabelOctets : std::uint8_t {
    any,              // a TXT lookup name built by SPF macros: DNS itself takes any octet
    ldh_underscore,   // letters, digits, '-' and '_' ("_domainkey", "_dmarc", DNSBL zones)
    hostname,         // RFC 1123 LDH: letters, digits and inner '-' only
};

struct NameRules {
    LabelOctets octets = LabelOctets::ldh_underscore;
    bool trailing_dot = false;            // accept one final dot (and leave it out of the result)
    std::size_t max_length = 253;         // in text form, without the final dot
};

// The name without its final dot when it obeys the rules; nullopt otherwise.
// A pure function of attacker-controlled text (fuzzed by dns_name_fuzz).
std::optional<std::string_view> dns_name(std::string_view text, const NameRules& rules = {});

inline bool is_dns_name(std::string_view text, const NameRules& rules = {}) {
    return dns_name(text, rules).has_value();
}

}  // namespace mxgate::filters::dns
