// DMARC evaluation (RFC 7489 §6.6): policy discovery on the shared resolver
// (_dmarc.<From: domain>, then _dmarc.<organizational domain>, §6.6.3), and the
// pure decision for one From: domain from the record found and the identifiers
// SPF and DKIM authenticated (their findings): alignment per aspf/adkim (§3.1),
// p= or sp=, pct= sampling (§6.6.4), the result and the disposition.
// DNS trouble is a value (LookupStatus::temperror), never an exception; the
// decision has no I/O, so every case is a table test.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "filters/dmarc/dmarc_record.hpp"
#include "filters/dmarc/org_domain.hpp"
#include "filters/dns/deadline_query.hpp"
#include "filters/dns/resolver.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::filters::dmarc {

enum class DmarcResult : std::uint8_t { none, pass, fail, temperror, permerror };
std::string_view to_string(DmarcResult result);

struct PolicyLookup {
    enum class Status : std::uint8_t {
        found,      // one usable record
        none,       // no record at either name (§6.6.3 step 4)
        several,    // several at one name: discovery stops, DMARC does not apply (step 5), result none
        temperror,  // SERVFAIL or no answer in time: the policy is unknown
        permerror,  // the one record is unusable (§6.6.3 step 6.2), or the domain cannot be a DNS name
    };
    Status status = Status::none;
    std::optional<DmarcRecord> record;   // with found
    std::string policy_domain;           // where the record was (or was last looked for)
    bool at_organizational_domain = false;  // found at the org domain: sp= applies (§6.6.3)
    std::string problem;                 // for logs
};

// What SPF and DKIM authenticated, read from their findings.
struct AuthenticatedIdentifiers {
    std::string spf_domain;                 // "spf" finding with outcome pass: its `domain` attr
    std::vector<std::string> dkim_domains;  // "dkim" findings with outcome pass: their `domain` attrs
};
// "spf": identity mailfrom, or helo when MAIL FROM was <> (RFC 7208 §2.4 checks
// postmaster@<helo> then); domains lower-cased.
AuthenticatedIdentifiers authenticated_identifiers(const std::vector<core::Finding>& findings);

struct DomainVerdict {
    std::string from_domain;
    DmarcResult result = DmarcResult::none;
    std::optional<Policy> policy;      // p= or sp= applied; empty without a record
    Policy disposition = Policy::none; // what to do: after pct= sampling
    bool spf_aligned = false;
    bool dkim_aligned = false;
    bool sampled_out = false;          // pct= spared it the policy (§6.6.4)
    // temperror only: the message fails even relaxed alignment, so whatever the
    // unknown record says, it cannot pass (the 451 case).
    bool fails_any_policy = false;
    std::string policy_domain;
    std::string problem;
};

// A From: domain that can be looked up: ASCII LDH labels (and '_') of 1..63 octets,
// short enough for "_dmarc." in front (RFC 1035 §2.3.4). UTF-8 labels were converted
// to A-labels before (idna_domain.hpp) or are not names.
bool is_lookup_domain(std::string_view domain);

class DmarcEvaluator {
public:
    // `seed` makes pct= sampling reproducible (tests); production seeds at random.
    DmarcEvaluator(dns::Resolver& resolver, std::shared_ptr<const PublicSuffixList> suffixes, std::uint64_t seed);

    // §6.6.3: the record for `from_domain` (lower case), asking no longer than `deadline`.
    boost::asio::awaitable<PolicyLookup> discover(std::string from_domain, dns::QueryDeadline deadline) const;

    // The verdict for one From: domain; `roll` (0..99) decides pct= sampling.
    DomainVerdict evaluate(std::string_view from_domain, const PolicyLookup& lookup,
                           const AuthenticatedIdentifiers& identifiers, unsigned roll) const;
    // The next pct= roll, 0..99: a seeded sequence, safe from any thread.
    unsigned next_roll() const noexcept;

    // §3.1: identifiers aligned in relaxed mode share the organizational domain.
    bool aligned(std::string_view a, std::string_view b, Alignment mode) const;
    std::string organizational_domain(std::string_view domain) const;

private:
    boost::asio::awaitable<PolicyLookup> lookup_at(std::string domain, dns::QueryDeadline deadline) const;

    dns::Resolver& resolver_;
    std::shared_ptr<const PublicSuffixList> suffixes_;
    std::uint64_t seed_;
    mutable std::atomic<std::uint64_t> rolls_{0};  // a counter, not state of the evaluation
};

}  // namespace mxgate::filters::dmarc
