#include "filters/greylist/greylist_logic.hpp"

#include <algorithm>

#include "proxy/core/text.hpp"

namespace mxgate::filters::greylist {

std::string mail_domain(const core::Address& address) { return core::ascii_lower(address.domain); }

bool domain_matches(std::string_view domain, std::string_view entry) {
    const std::string d = core::ascii_lower(domain);
    std::string e = core::ascii_lower(entry);
    if (!e.empty() && e.front() == '.') e.erase(0, 1);
    if (d.empty() || e.empty()) return false;
    if (d == e) return true;
    return d.size() > e.size() && d.ends_with(e) && d[d.size() - e.size() - 1] == '.';
}

std::string triplet_key(std::string_view network, std::string_view sender, std::string_view recipient) {
    std::string key = "gl:";
    key += network;
    key += '|';
    key += sender.empty() ? std::string("<>") : core::ascii_lower(sender);
    key += '|';
    key += core::ascii_lower(recipient);
    return key;
}

std::string auto_allow_key(std::string_view network, std::string_view domain) {
    std::string key = "awl:";
    key += network;
    key += '|';
    key += core::ascii_lower(domain);
    return key;
}

std::optional<std::string_view> skip_reason(const GreylistConfig& config, const GreylistRequest& request) {
    if (request.trusted) return "trusted";
    if (!request.client) return "unknown_client";  // no network to key a triplet on
    for (const auto& net : config.allow_networks)
        if (net.contains(*request.client)) return "allow_network";
    if (const auto domain = mail_domain(request.sender); !domain.empty())
        for (const auto& entry : config.allow_sender_domains)
            if (domain_matches(domain, entry)) return "allow_sender_domain";
    if (const auto domain = mail_domain(request.recipient); !domain.empty())
        for (const auto& entry : config.allow_recipient_domains)
            if (domain_matches(domain, entry)) return "allow_recipient_domain";
    if (config.skip_spf_pass && request.spf_pass) return "spf_pass";
    return std::nullopt;
}

TripletDecision decide_triplet(const std::optional<GreylistRecord>& record, TimePoint now,
                               const GreylistConfig& config) {
    TripletDecision d;
    // The same boundaries as the stores' expiry (expires_at <= now is absent),
    // so the decision does not depend on when housekeeping last ran.
    const bool stale = record && (record->pass_count == 0 ? now - record->first_seen >= config.window
                                                          : now - record->last_seen >= config.pass_lifetime);
    if (!record || stale) {
        d.action = Action::defer;
        d.next = {now, now, 0, now + config.window};
        d.retry_after = config.delay;
        d.why = "first attempt";
        return d;
    }
    if (record->pass_count > 0) {
        d.action = Action::pass;
        d.next = {record->first_seen, now, record->pass_count + 1, now + config.pass_lifetime};
        d.why = "known triplet";
        return d;
    }
    const auto age = now - record->first_seen;
    if (age < config.delay) {
        d.action = Action::defer;
        d.next = {record->first_seen, now, 0, record->first_seen + config.window};
        d.retry_after = std::chrono::duration_cast<Seconds>(config.delay - age);
        d.why = "retry too early";
        return d;
    }
    d.action = Action::pass;
    d.next = {record->first_seen, now, 1, now + config.pass_lifetime};
    d.newly_passed = true;
    d.why = "retry after delay";
    return d;
}

bool auto_allowed(const std::optional<GreylistRecord>& record, const GreylistConfig& config) {
    return config.auto_allow_after > 0 && record && record->pass_count >= config.auto_allow_after;
}

GreylistRecord count_pass(const std::optional<GreylistRecord>& record, TimePoint now, const GreylistConfig& config) {
    if (!record) return {now, now, 1, now + config.pass_lifetime};
    return {record->first_seen, now, record->pass_count + 1, now + config.pass_lifetime};
}

}  // namespace mxgate::filters::greylist
