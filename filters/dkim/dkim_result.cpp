#include "filters/dkim/dkim_result.hpp"

#include <vector>

#include "filters/dns/dns_name.hpp"
#include "filters/header_text.hpp"

namespace mxgate::filters::dkim {

namespace {

constexpr std::size_t max_name_length = 253;  // RFC 1035 §2.3.4, without the trailing dot
// A b= prefix longer than this tells nothing more; a hostile field may make it any length.
constexpr std::size_t max_b_length = 64;

struct Judgement {
    core::Outcome outcome;
    std::string reason;  // our own words; "" for pass
};

Judgement judge(const SignatureFacts& facts, const DkimConfig& config) {
    using core::Outcome;
    switch (facts.verification) {
        case Verification::verified:
            // RFC 8301 §3.1 and §3.2: verified, but not by anything we may trust.
            if (facts.algorithm == "rsa-sha1") return {Outcome::policy, "rsa-sha1 is not accepted (RFC 8301)"};
            if (facts.rsa && facts.key_bits < static_cast<std::size_t>(config.min_rsa_bits))
                return {Outcome::policy, std::to_string(facts.key_bits) + "-bit RSA key is under " +
                                             std::to_string(config.min_rsa_bits) + " bits (RFC 8301)"};
            return {Outcome::pass, ""};
        case Verification::bad_signature: return {Outcome::fail, "signature verification failed"};
        case Verification::body_changed: return {Outcome::fail, "body hash did not verify"};
        case Verification::invalid_signature: return {Outcome::neutral, "signature not usable"};
        case Verification::no_key: return {Outcome::permerror, "no key"};
        case Verification::key_revoked: return {Outcome::permerror, "key revoked"};
        case Verification::key_invalid: return {Outcome::permerror, "key record not usable"};
        case Verification::key_unavailable: return {Outcome::temperror, "key lookup failed"};
    }
    return {Outcome::temperror, "unknown state"};
}

std::string clipped(std::string_view text, std::size_t max) { return std::string(text.substr(0, max)); }

}  // namespace

std::optional<std::string> key_query_name(std::string_view selector, std::string_view domain) {
    // No final dot: a signer's d= and s= are names as written, "example.org." is not one (RFC 6376 §3.5).
    if (!dns::is_dns_name(selector) || !dns::is_dns_name(domain)) return std::nullopt;
    std::string name = std::string(selector) + "._domainkey." + std::string(domain);
    if (name.size() > max_name_length) return std::nullopt;
    return name;
}

std::string dkim_resinfo(core::Outcome outcome, std::string_view reason, const SignatureFacts& facts) {
    using header_text::pvalue;
    std::string out = "dkim=" + std::string(core::to_string(outcome));
    if (!reason.empty()) out += " reason=" + header_text::quoted(reason);
    if (!facts.domain.empty()) out += " header.d=" + pvalue(clipped(facts.domain, max_name_length));
    if (!facts.selector.empty()) out += " header.s=" + pvalue(clipped(facts.selector, max_name_length));
    if (!facts.b.empty()) out += " header.b=" + pvalue(clipped(facts.b, max_b_length));
    return out;
}

core::Finding signature_finding(const SignatureFacts& facts, const DkimConfig& config) {
    const Judgement judgement = judge(facts, config);
    core::Finding finding;
    finding.name = "dkim";
    finding.outcome = judgement.outcome;
    finding.attrs = {
        {"domain", clipped(facts.domain, max_name_length)},
        {"selector", clipped(facts.selector, max_name_length)},
        {"algorithm", facts.algorithm},
        {"key_bits", facts.key_bits == 0 ? std::string() : std::to_string(facts.key_bits)},
        {"b", clipped(facts.b, max_b_length)},
        {"auth_results", dkim_resinfo(judgement.outcome, judgement.reason, facts)},
    };
    finding.reason = "dkim " + std::string(core::to_string(judgement.outcome));
    if (!judgement.reason.empty()) finding.reason += ": " + judgement.reason;
    if (!facts.detail.empty() && facts.detail != judgement.reason) finding.reason += " (" + facts.detail + ")";
    return finding;
}

core::Finding unsigned_finding() {
    return core::Finding{"dkim", core::Outcome::none, {{"auth_results", "dkim=none"}},
                         "no DKIM-Signature field"};
}

core::Finding not_evaluated_finding(std::size_t count, int max_signatures) {
    return core::Finding{"dkim",
                         core::Outcome::skipped,
                         {{"not_evaluated", std::to_string(count)}},
                         std::to_string(count) + " signatures past max_signatures (" +
                             std::to_string(max_signatures) + ") not evaluated"};
}

}  // namespace mxgate::filters::dkim
