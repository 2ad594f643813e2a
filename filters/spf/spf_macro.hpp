// SPF macro expansion (RFC 7208 §7): a pure function of a macro-string and the
// facts of one check, so the expander meets attacker-controlled text without DNS
// (fuzzed by tests/fuzz/spf_macro_fuzz.cpp). %{p} needs DNS: the evaluator finds
// the validated name first when uses_validated_name() says so, and passes it in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace mxgate::filters::spf {

// Where a macro-string is used: a domain-spec is a DNS name; an explanation (the
// TXT of exp=) may hold spaces and the letters c, r and t (§7.2, §7.3).
enum class MacroUse : std::uint8_t { domain, explanation };

struct MacroFacts {
    std::string_view sender;        // s: local-part@domain (postmaster@helo for the HELO identity)
    std::string_view local_part;    // l
    std::string_view sender_domain; // o
    std::string_view domain;        // d: the current domain of check_host()
    boost::asio::ip::address client;  // i, c, v; the caller unmaps a v4-mapped IPv6 address (§5)
    std::string_view helo;          // h
    std::string_view receiver;      // r (explanations only)
    std::string_view validated_name = "unknown";  // p (§5.5 validated domain, or "unknown")
    std::int64_t now = 0;           // t (explanations only), seconds since the epoch
};

// Syntax only (§7.1): every '%' starts a valid macro-expand, every letter is one
// `use` allows, transformers are digits (not 0) and an optional 'r', delimiters
// are of ".-+,/_=". In a domain-spec only visible characters, in an explanation
// spaces too.
bool valid_macro_string(std::string_view text, MacroUse use);

// Where the literal text at the end of a valid macro-string starts (its size when
// it ends with a macro-expand): what must be a domain-end in a domain-spec.
std::size_t literal_suffix_start(std::string_view text);

// Whether the text uses %{p}, whose value needs DNS lookups of its own.
bool uses_validated_name(std::string_view text);

// The expanded text, or nullopt when the macro syntax is invalid or the result
// would pass 16 KiB (permerror for a domain-spec; no explanation for exp=). An upper-case letter URL-escapes its
// value with upper-case hex (§7.3). Expanding a domain-spec that is longer than
// 253 octets drops labels from the left until it fits (§7.3); the result may still
// be an unusable DNS name: see query_name().
std::optional<std::string> expand_macros(std::string_view text, const MacroFacts& facts, MacroUse use);

// The DNS name to ask for an expanded domain-spec: without a trailing dot, or
// nullopt when it has an empty label or a label over 63 octets.
std::optional<std::string> query_name(std::string_view expanded);

}  // namespace mxgate::filters::spf
