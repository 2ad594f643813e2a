// An SPF record (RFC 7208 §4.5, §4.6, §12) parsed into terms: a pure function over
// the TXT text a domain publishes, so attacker-controlled input meets no DNS and no
// state (fuzzed by tests/fuzz/spf_record_fuzz.cpp). The whole record is checked
// before any term is evaluated (§4.6: a syntax error anywhere is a permerror),
// including each domain-spec's macro syntax and domain-end (§7.1); expansion of
// the macros happens later, at evaluation (spf_macro.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace mxgate::filters::spf {

// The result a matching mechanism gives (§4.6.2); '+' when the record says nothing.
enum class Qualifier : std::uint8_t { pass, fail, softfail, neutral };

enum class MechanismKind : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };
std::string_view to_string(MechanismKind kind);

struct Mechanism {
    Qualifier qualifier = Qualifier::pass;
    MechanismKind kind = MechanismKind::all;
    // A macro-string (§7.1), unexpanded. Empty for a/mx/ptr without one: the
    // current domain. Always set for include and exists.
    std::string domain_spec;
    boost::asio::ip::address network;  // ip4/ip6 only
    int cidr4 = 32;                    // a, mx, ip4 (§5.6)
    int cidr6 = 128;                   // a, mx, ip6

    // include, a, mx, ptr, exists (and redirect=) count towards §4.6.4's ten.
    bool queries_dns() const noexcept {
        return kind != MechanismKind::all && kind != MechanismKind::ip4 && kind != MechanismKind::ip6;
    }
};

struct Record {
    std::vector<Mechanism> mechanisms;  // in record order
    std::optional<std::string> redirect;  // domain-spec of redirect= (§6.1)
    std::optional<std::string> exp;       // domain-spec of exp= (§6.2)
    bool has_all = false;                 // §5.1: an "all" makes redirect= ignored
};

struct ParsedRecord {
    std::optional<Record> record;  // empty: permerror
    std::string error;             // why, for logs: "unknown mechanism 'foo'"
};

// §4.5: "v=spf1" (any case) alone or followed by a space. Records that are not
// SPF records are discarded before the "exactly one" rule is applied.
bool is_spf_record(std::string_view txt);

// The terms of one SPF record (is_spf_record(txt) must hold). Never throws.
ParsedRecord parse_record(std::string_view txt);

// §7.1 domain-spec: a macro-string followed by domain-end ("." toplabel ["."], or a
// macro-expand). Exposed for the parser's tests.
bool valid_domain_spec(std::string_view spec);

}  // namespace mxgate::filters::spf
