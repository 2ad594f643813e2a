#include "filters/greylist/greylist_logic.hpp"

#include <algorithm>
#include <charconv>

#include <boost/asio/ip/address_v4.hpp>

#include "proxy/core/text.hpp"

namespace mxgate::filters::greylist {

namespace ip = boost::asio::ip;

namespace {
ip::address unmapped(const ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
    return a;
}
}  // namespace

bool Cidr::contains(const ip::address& candidate) const {
    const ip::address a = unmapped(candidate);
    const ip::address net = unmapped(address);
    if (a.is_v4() != net.is_v4()) return false;
    if (a.is_v4()) {
        const unsigned bits = std::min(prefix_length, 32u);
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        return (a.to_v4().to_uint() & mask) == (net.to_v4().to_uint() & mask);
    }
    const auto x = a.to_v6().to_bytes();
    const auto y = net.to_v6().to_bytes();
    unsigned bits = std::min(prefix_length, 128u);
    for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
        const unsigned take = std::min(bits, 8u);
        const auto mask = static_cast<unsigned char>(0xff << (8 - take));
        if ((x[i] & mask) != (y[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    const auto slash = text.find('/');
    boost::system::error_code ec;
    const auto addr = ip::make_address(std::string(text.substr(0, slash)), ec);
    if (ec) return std::nullopt;
    const unsigned max = addr.is_v4() ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (err != std::errc{} || end != digits.data() + digits.size() || digits.empty() || prefix > max)
            return std::nullopt;
    }
    return Cidr{addr, prefix};
}

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
