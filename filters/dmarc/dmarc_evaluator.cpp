#include "filters/dmarc/dmarc_evaluator.hpp"

#include <algorithm>

#include "filters/dns/dns_name.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::dmarc {

namespace asio = boost::asio;
using dns::Status;

namespace {

// splitmix64: a well-mixed value per (seed, n), so rolls are reproducible without shared state.
std::uint64_t mixed(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// §6.6.4: a failing message not sampled gets the next policy down.
Policy next_less_strict(Policy policy) { return policy == Policy::reject ? Policy::quarantine : Policy::none; }

}  // namespace

std::string_view to_string(DmarcResult result) {
    switch (result) {
        case DmarcResult::none: return "none";
        case DmarcResult::pass: return "pass";
        case DmarcResult::fail: return "fail";
        case DmarcResult::temperror: return "temperror";
        case DmarcResult::permerror: return "permerror";
    }
    return "none";
}

AuthenticatedIdentifiers authenticated_identifiers(const std::vector<core::Finding>& findings) {
    AuthenticatedIdentifiers ids;
    for (const core::Finding& finding : findings) {
        if (finding.outcome != core::Outcome::pass || finding.attr("domain").empty()) continue;
        const std::string domain = core::ascii_lower(finding.attr("domain"));
        if (finding.name == "spf") ids.spf_domain = domain;
        if (finding.name == "dkim") ids.dkim_domains.push_back(domain);
    }
    return ids;
}

bool is_lookup_domain(std::string_view domain) {
    constexpr std::size_t prefix = 7;  // "_dmarc."
    return dns::is_dns_name(domain, {.max_length = 253 - prefix});
}

DmarcEvaluator::DmarcEvaluator(dns::Resolver& resolver, std::shared_ptr<const PublicSuffixList> suffixes,
                               std::uint64_t seed)
    : resolver_(resolver), suffixes_(std::move(suffixes)), seed_(seed) {}

unsigned DmarcEvaluator::next_roll() const noexcept {
    return static_cast<unsigned>(mixed(seed_ + rolls_.fetch_add(1, std::memory_order_relaxed)) % 100);
}

std::string DmarcEvaluator::organizational_domain(std::string_view domain) const {
    return suffixes_->organizational_domain(domain);
}

bool DmarcEvaluator::aligned(std::string_view a, std::string_view b, Alignment mode) const {
    if (a.empty() || b.empty()) return false;
    if (core::iequals(a, b)) return true;
    return mode == Alignment::relaxed &&
           organizational_domain(core::ascii_lower(a)) == organizational_domain(core::ascii_lower(b));
}

asio::awaitable<PolicyLookup> DmarcEvaluator::lookup_at(std::string domain, dns::QueryDeadline deadline) const {
    PolicyLookup lookup;
    lookup.policy_domain = domain;
    const dns::Answer answer = co_await dns::query_until(resolver_, "_dmarc." + domain, dns::RecordType::txt, deadline);
    if (answer.status == Status::servfail || answer.status == Status::timeout) {
        lookup.status = PolicyLookup::Status::temperror;
        lookup.problem = "_dmarc." + domain + ": " + std::string(dns::to_string(answer.status));
        co_return lookup;
    }
    std::vector<const std::string*> records;  // §6.6.3 step 3: other TXT records are discarded
    for (const std::string& txt : answer.records)
        if (is_dmarc_record(txt)) records.push_back(&txt);
    if (records.size() != 1) {
        lookup.status = records.empty() ? PolicyLookup::Status::none : PolicyLookup::Status::several;
        if (!records.empty()) lookup.problem = "_dmarc." + domain + ": several DMARC records";
        co_return lookup;
    }
    ParsedRecord parsed = parse_record(*records.front());
    if (!parsed.record) {
        lookup.status = PolicyLookup::Status::permerror;
        lookup.problem = "_dmarc." + domain + ": " + parsed.error;
        co_return lookup;
    }
    lookup.status = PolicyLookup::Status::found;
    lookup.record = std::move(parsed.record);
    co_return lookup;
}

asio::awaitable<PolicyLookup> DmarcEvaluator::discover(std::string from_domain, dns::QueryDeadline deadline) const {
    if (!is_lookup_domain(from_domain))
        co_return PolicyLookup{PolicyLookup::Status::permerror, std::nullopt, from_domain, false,
                               "not a domain name: " + core::printable(from_domain, 100)};
    PolicyLookup at_domain = co_await lookup_at(from_domain, deadline);
    // Step 4: only "no record" goes on to the organizational domain; a SERVFAIL
    // leaves the domain's own record unknown, so a fallback could apply the wrong one.
    if (at_domain.status != PolicyLookup::Status::none) co_return at_domain;
    const std::string organizational = organizational_domain(from_domain);
    if (organizational == from_domain) co_return at_domain;
    PolicyLookup at_organizational = co_await lookup_at(organizational, deadline);
    at_organizational.at_organizational_domain = true;
    co_return at_organizational;
}

DomainVerdict DmarcEvaluator::evaluate(std::string_view from_domain, const PolicyLookup& lookup,
                                       const AuthenticatedIdentifiers& identifiers, unsigned roll) const {
    DomainVerdict verdict;
    verdict.from_domain = std::string(from_domain);
    verdict.policy_domain = lookup.policy_domain;
    verdict.problem = lookup.problem;
    // Without a record the modes default to relaxed (§6.3), the lenient ones.
    const Alignment spf_mode = lookup.record ? lookup.record->spf_alignment : Alignment::relaxed;
    const Alignment dkim_mode = lookup.record ? lookup.record->dkim_alignment : Alignment::relaxed;
    verdict.spf_aligned = aligned(identifiers.spf_domain, from_domain, spf_mode);
    verdict.dkim_aligned = std::any_of(identifiers.dkim_domains.begin(), identifiers.dkim_domains.end(),
                                       [&](const std::string& d) { return aligned(d, from_domain, dkim_mode); });
    switch (lookup.status) {
        case PolicyLookup::Status::none:
        case PolicyLookup::Status::several: verdict.result = DmarcResult::none; return verdict;
        case PolicyLookup::Status::permerror: verdict.result = DmarcResult::permerror; return verdict;
        case PolicyLookup::Status::temperror:
            verdict.result = DmarcResult::temperror;
            verdict.fails_any_policy = !verdict.spf_aligned && !verdict.dkim_aligned;
            return verdict;
        case PolicyLookup::Status::found: break;
    }
    const DmarcRecord& record = *lookup.record;
    verdict.policy = lookup.at_organizational_domain && record.subdomain_policy ? *record.subdomain_policy
                                                                                 : record.policy;
    if (verdict.spf_aligned || verdict.dkim_aligned) {
        verdict.result = DmarcResult::pass;
        return verdict;
    }
    verdict.result = DmarcResult::fail;
    verdict.disposition = *verdict.policy;
    if (static_cast<int>(roll) >= record.percent && verdict.disposition != Policy::none) {
        verdict.disposition = next_less_strict(verdict.disposition);
        verdict.sampled_out = true;
    }
    return verdict;
}

}  // namespace mxgate::filters::dmarc
