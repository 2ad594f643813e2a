// What one DKIM signature's verification means: the facts libopendkim gives
// about a signature (SignatureFacts, filled in by dkim_inspector.cpp) become the
// "dkim" Finding with its RFC 8601 resinfo. Pure functions, no library calls;
// every value taken from the message or DNS passes through header_text so a
// hostile d=, s= or b= cannot break the Authentication-Results field.
// RFC 8301 lives here: rsa-sha1 and RSA keys under min_rsa_bits never pass.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "filters/dkim/dkim_config.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::filters::dkim {

// How far verification of one signature got.
enum class Verification : unsigned char {
    verified,          // header hash signed by the key and body hash matched
    bad_signature,     // the key does not verify the header hash
    body_changed,      // bh= does not match the body (or l= is past its end)
    invalid_signature, // the field is malformed, expired, from the future, or names no usable algorithm
    no_key,            // NXDOMAIN/NODATA, or a key name that is no DNS name (RFC 6376 §6.1.2: PERMFAIL)
    key_revoked,       // empty p= (RFC 6376 §3.6.1)
    key_invalid,       // a record that is no DKIM key, or does not fit the signature (k=, h=, s=)
    key_unavailable,   // SERVFAIL or no answer within the timeout (RFC 6376 §6.1.2: TEMPFAIL)
};

struct SignatureFacts {
    std::string domain;      // d=, "" when the field has none
    std::string selector;    // s=
    std::string algorithm;   // a= as libopendkim names it: "rsa-sha256", "rsa-sha1", "ed25519-sha256", or ""
    std::string b;           // enough leading characters of b= to tell this signature apart (RFC 6008)
    std::size_t key_bits = 0;  // 0 when no key was loaded
    bool rsa = false;        // an RSA algorithm (key size rules apply)
    Verification verification = Verification::invalid_signature;
    std::string detail;      // why, for the reason and the logs ("signature expired", "nxdomain")
};

// <selector>._domainkey.<domain> (RFC 6376 §3.6.2.1) when both are DNS names we
// may ask about (letters, digits, '-', '_' in labels of 1-63 octets, at most 253
// octets in all); nullopt otherwise: nothing is asked and the signature has no key.
std::optional<std::string> key_query_name(std::string_view selector, std::string_view domain);

// The "dkim" Finding of one verified signature: outcome, attrs domain, selector,
// algorithm, key_bits, b, auth_results (DKIM never refuses by itself: "dkim.temperror").
core::Finding signature_finding(const SignatureFacts& facts, const DkimConfig& config);

// The one Finding of a message without a DKIM-Signature field: outcome none, dkim=none.
core::Finding unsigned_finding();

// The one Finding for signatures past max_signatures: outcome skipped, attr
// not_evaluated=<count>, no auth_results (nothing was checked).
core::Finding not_evaluated_finding(std::size_t count, int max_signatures);

// The RFC 8601 §2.7.1 resinfo: "dkim=<result> [reason="..."] header.d=... header.s=... header.b=...".
std::string dkim_resinfo(core::Outcome outcome, std::string_view reason, const SignatureFacts& facts);

}  // namespace mxgate::filters::dkim
