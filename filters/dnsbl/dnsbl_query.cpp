#include "filters/dnsbl/dnsbl_query.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include <boost/system/error_code.hpp>

#include "filters/dns/dns_name.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::dnsbl {

namespace ip = boost::asio::ip;

namespace {

constexpr std::size_t max_name_length = 253;  // RFC 1035 §2.3.4, in text form without the final dot

std::optional<ip::address_v4> parse_v4(std::string_view text) {
    boost::system::error_code ec;
    auto address = ip::make_address_v4(std::string(text), ec);
    if (ec) return std::nullopt;
    return address;
}

bool in_loopback_net(std::uint32_t value) { return (value >> 24) == 127; }
bool is_error_code(std::uint32_t value) { return (value >> 8) == 0x7fffff; }  // 127.255.255.0/24

}  // namespace

ip::address unmapped(const ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return ip::make_address_v4(ip::v4_mapped, address.to_v6());
    return address;
}

std::string reversed_address(const ip::address& address_in) {
    const ip::address address = unmapped(address_in);
    std::string out;
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        for (int i = 3; i >= 0; --i) {
            out += std::to_string(bytes[static_cast<std::size_t>(i)]);
            if (i != 0) out += '.';
        }
        return out;
    }
    static constexpr char hex[] = "0123456789abcdef";
    const auto bytes = address.to_v6().to_bytes();
    out.reserve(63);
    for (int i = 15; i >= 0; --i) {
        const auto byte = bytes[static_cast<std::size_t>(i)];
        out += hex[byte & 0x0f];
        out += '.';
        out += hex[byte >> 4];
        if (i != 0) out += '.';
    }
    return out;
}

std::string reverse_lookup_name(const ip::address& address) {
    return reversed_address(address) + (unmapped(address).is_v4() ? ".in-addr.arpa" : ".ip6.arpa");
}

std::string ip_query_name(const ip::address& address, std::string_view zone) {
    std::string name = reversed_address(address);
    name += '.';
    name += zone;
    return name;
}

std::optional<std::string> normalize_domain(std::string_view domain) {
    const auto name = dns::dns_name(domain, {.trailing_dot = true, .max_length = max_name_length});
    if (!name || name->find('.') == std::string_view::npos) return std::nullopt;
    return core::ascii_lower(*name);
}

std::optional<std::string> sender_domain(const core::Address& sender) {
    if (sender.domain.empty()) return std::nullopt;  // the null sender <>
    return normalize_domain(sender.domain);
}

std::optional<std::string> domain_query_name(std::string_view domain, std::string_view zone) {
    auto normal = normalize_domain(domain);
    if (!normal) return std::nullopt;
    std::string name = std::move(*normal);
    name += '.';
    name += zone;
    if (name.size() > max_name_length) return std::nullopt;
    return name;
}

std::optional<Matcher> Matcher::compile(const DnsList& list) {
    Matcher matcher;
    matcher.bitmask = list.bitmask;
    for (const auto& code : list.codes) {
        auto address = parse_v4(code);
        if (!address) return std::nullopt;
        matcher.codes.push_back(address->to_uint());
    }
    return matcher;
}

MatchResult match_answers(const std::vector<std::string>& records, const Matcher& matcher) {
    MatchResult result;
    std::set<std::uint32_t> matched;
    bool usable = false, refused = false;
    for (const auto& record : records) {
        const auto address = parse_v4(record);
        if (!address || !in_loopback_net(address->to_uint())) {
            result.ignored.push_back(record);
            continue;
        }
        const std::uint32_t value = address->to_uint();
        if (is_error_code(value)) {
            refused = true;
            continue;
        }
        usable = true;
        bool hit;
        if (!matcher.codes.empty())
            hit = std::find(matcher.codes.begin(), matcher.codes.end(), value) != matcher.codes.end();
        else if (matcher.bitmask != 0)
            hit = (value & matcher.bitmask) != 0;
        else
            hit = true;
        if (hit) matched.insert(value);
    }
    for (auto value : matched) result.matched.push_back(ip::address_v4(value).to_string());
    if (!result.matched.empty())
        result.kind = MatchResult::Kind::listed;
    else if (refused)
        result.kind = MatchResult::Kind::refused;
    else if (!usable)
        result.kind = MatchResult::Kind::broken;
    else
        result.kind = MatchResult::Kind::not_listed;
    return result;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

}  // namespace mxgate::filters::dnsbl
