// Settings of the SPF filter (yaml: filters.spf:), described once: the YAML keys are
// the member names, the defaults their initializers; the rules of the fields that
// need one (ranges, the actions) are in spf_registration.cpp, from which decoding
// and the --check-config dump are derived.
// The actions are shorthand for rules (default_rules() in spf_registration.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

namespace mxgate::filters::spf {

using namespace std::chrono_literals;

// What to do with one SPF result: policy's rule "spf.on_<result>" for the finding
// (spf_registration.hpp); the filter itself reports the result only.
struct SpfAction {
    enum class Kind : unsigned char { proceed, tempfail, reject };
    BOOST_DESCRIBE_NESTED_ENUM(Kind, proceed, tempfail, reject)
    Kind kind = Kind::proceed;
    unsigned code = 0;          // 550, 451; 0 with proceed
    std::string enhanced;       // "5.7.23" (RFC 7372 §3.2), "4.7.24"
    std::string text;           // mxgate's own text; a fail adds the domain's explanation (RFC 7208 §8.4)
    bool operator==(const SpfAction&) const = default;
};

// The names the config uses.
inline std::string_view to_string(SpfAction::Kind kind) {
    switch (kind) {
        case SpfAction::Kind::proceed: return "proceed";
        case SpfAction::Kind::tempfail: return "tempfail";
        case SpfAction::Kind::reject: return "reject";
    }
    return "proceed";
}

// The action `kind` for a result, with its RFC 7372 §3.2 reply: X.7.23 when the
// validation failed (fail, softfail ...), X.7.24 when it could not be done (temperror, permerror).
inline SpfAction spf_action(SpfAction::Kind kind, bool validation_error) {
    switch (kind) {
        case SpfAction::Kind::proceed: return {};
        case SpfAction::Kind::tempfail:
            return {kind, 451, validation_error ? "4.7.24" : "4.7.23",
                    validation_error ? "SPF DNS lookup failed, try again later" : "SPF validation failed, try again later"};
        case SpfAction::Kind::reject:
            return {kind, 550, validation_error ? "5.7.24" : "5.7.23",
                    validation_error ? "SPF validation error" : "SPF validation failed"};
    }
    return {};
}

struct SpfConfig {                                     // yaml: filters.spf:
    bool enabled = false;
    std::chrono::milliseconds timeout = 10s;           // whole evaluation; over budget -> temperror
    // RFC 7208 §4.6.4: at most 10 DNS-querying terms (include, a, mx, ptr, exists,
    // redirect) per check, at most 10 names per mx or ptr. Beyond: permerror.
    int max_dns_mechanisms = 10;
    int max_dns_mx = 10;
    int max_dns_ptr = 10;
    // RFC 7208 §4.6.4: more than 2 "void lookups" (nxdomain/nodata) should be a permerror.
    int max_void_lookups = 2;
    // Hard cap on queries per evaluation, all kinds counted (the addresses of MX and
    // PTR names, the exp= TXT, %{p}). The RFC limits alone allow 1 + 10 x 11 + 1 = 112
    // without %{p}, so the default never changes a conformant result; %{p} in every
    // term would allow twice that. Reaching it is a permerror.
    int max_queries = 120;
    // Our name in Received-SPF (receiver=), in %{r} and in the default explanation.
    // Empty: server.hostname (filled in by the defaults hook in spf_registration.cpp).
    std::string receiver;
    bool skip_trusted = true;                          // trusted_networks: Outcome::skipped
    // RFC 7208 §2.3 recommends checking the HELO identity as well as MAIL FROM:
    // both run at once at MAIL FROM (the HELO one only when the name is a domain).
    // Only its fail has an action of its own; its other results are reported
    // (its temperror fails open).
    bool check_helo = true;
    SpfAction on_helo_fail = spf_action(SpfAction::Kind::reject, false);

    SpfAction on_pass{};
    SpfAction on_fail = spf_action(SpfAction::Kind::reject, false);
    SpfAction on_softfail{};
    SpfAction on_neutral{};
    SpfAction on_none{};
    SpfAction on_temperror = spf_action(SpfAction::Kind::tempfail, true);
    SpfAction on_permerror{};  // RFC 7208 §8.7 allows 550 5.7.24; off by default (many broken records)
    bool operator==(const SpfConfig&) const = default;
};
// In --check-config order.
BOOST_DESCRIBE_STRUCT(SpfConfig, (), (enabled, timeout, receiver, skip_trusted, max_dns_mechanisms, max_dns_mx,
                                      max_dns_ptr, max_void_lookups, max_queries, on_pass, on_fail, on_softfail,
                                      on_neutral, on_none, on_temperror, on_permerror, check_helo, on_helo_fail))

}  // namespace mxgate::filters::spf
