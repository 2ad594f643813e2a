#include "filters/helo/helo_syntax.hpp"

#include <boost/asio/ip/address.hpp>

#include "filters/header_text.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::helo {

namespace {

bool is_letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_label(std::string_view label) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
        if (!is_letter_or_digit(c) && c != '-') return false;
    return true;
}

std::string_view without_trailing_dot(std::string_view name) {
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    return name;
}

}  // namespace

bool is_hostname(std::string_view name) {
    name = without_trailing_dot(name);
    if (name.empty() || name.size() > 255) return false;
    if (name.find_first_not_of("0123456789.") == std::string_view::npos) return false;
    for (std::size_t start = 0;;) {
        const auto dot = name.find('.', start);
        if (!is_label(name.substr(start, dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
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
