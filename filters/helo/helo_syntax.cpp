#include "filters/helo/helo_syntax.hpp"

#include <boost/asio/ip/address.hpp>

#include "filters/dns/dns_name.hpp"
#include "filters/header_text.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::helo {

namespace {

std::string_view without_trailing_dot(std::string_view name) {
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    return name;
}

}  // namespace

bool is_hostname(std::string_view name) {
    // RFC 5321 §4.5.3.1.2 allows 255 octets for a domain in a command.
    const auto hostname = dns::dns_name(name, {.octets = dns::LabelOctets::hostname, .trailing_dot = true,
                                               .max_length = 255});
    return hostname && hostname->find_first_not_of("0123456789.") != std::string_view::npos;
}

bool is_address_literal(std::string_view name) {
    if (name.size() < 3 || name.front() != '[' || name.back() != ']') return false;
    std::string_view inside = name.substr(1, name.size() - 2);
    constexpr std::string_view tag = "IPv6:";  // RFC 5321 §4.1.3, case-insensitive
    const bool v6 = inside.size() > tag.size() && core::iequals(inside.substr(0, tag.size()), tag);
    if (v6) inside.remove_prefix(tag.size());
    if (inside.find('%') != std::string_view::npos) return false;  // no scope ids
    boost::system::error_code ec;
    const std::string text(inside);
    if (v6) boost::asio::ip::make_address_v6(text, ec);
    else boost::asio::ip::make_address_v4(text, ec);
    return !ec;
}

HeloName classify(std::string_view name) {
    if (is_address_literal(name)) return HeloName::address_literal;
    if (!is_hostname(name)) return HeloName::invalid;
    return without_trailing_dot(name).find('.') == std::string_view::npos ? HeloName::single_label : HeloName::fqdn;
}

}  // namespace mxgate::filters::helo
