// XCLIENT attribute checks: see xclient.hpp. Postfix's rules: ADDR is an IPv4
// address or "IPV6:" + an IPv6 address, PORT 0..65535, NAME/HELO printable
// hostnames, PROTO SMTP or ESMTP; "[UNAVAILABLE]"/"[TEMPUNAVAIL]" mean unknown.
#include "proxy/smtp/xclient.hpp"

#include <arpa/inet.h>

#include <array>
#include <string_view>

#include "proxy/core/text.hpp"

namespace mxgate::smtp {

namespace {

constexpr std::size_t max_name_length = 255;  // RFC 1035 §2.3.4 (NAME, HELO)

bool unknown(std::string_view value) { return value == "[UNAVAILABLE]" || value == "[TEMPUNAVAIL]"; }

// inet_pton, the parser Asio uses too, so the session can never fail to read
// what passed here (it also refuses "010.0.0.1", which could be read as octal).
bool valid_ip(int family, const std::string& text) {
    std::array<unsigned char, 16> buffer{};
    return ::inet_pton(family, text.c_str(), buffer.data()) == 1;
}

std::optional<std::string> decode_address(const std::string& value) {
    constexpr std::string_view ipv6_tag = "IPV6:";
    if (value.size() > ipv6_tag.size() && core::iequals(std::string_view(value).substr(0, ipv6_tag.size()), ipv6_tag)) {
        std::string address = value.substr(ipv6_tag.size());
        if (valid_ip(AF_INET6, address)) return address;
        return std::nullopt;
    }
    if (valid_ip(AF_INET, value)) return value;
    return std::nullopt;
}

std::optional<std::uint16_t> decode_port(const std::string& value) {
    if (value.empty() || value.size() > 5) return std::nullopt;
    unsigned port = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

// One token of printable ASCII. xtext can encode anything ("+00" is a NUL), and
// no attribute may hold a space, a control character or a byte that is not ASCII.
bool printable(const std::string& value) {
    for (unsigned char c : value)
        if (c < 33 || c > 126) return false;
    return !value.empty();
}

}  // namespace

XclientResult decode_xclient(const std::vector<EsmtpParam>& attributes) {
    if (attributes.empty()) return XclientError{"Syntax: XCLIENT attribute=value..."};
    XclientAttributes result;
    for (const auto& attribute : attributes) {
        const std::string& name = attribute.first;  // not a structured binding: the lambda captures it
        const std::string& raw = attribute.second;
        const bool is_address = name == "ADDR", is_port = name == "PORT", is_name = name == "NAME",
                   is_helo = name == "HELO", is_proto = name == "PROTO";
        if (!is_address && !is_port && !is_name && !is_helo && !is_proto)
            return XclientError{"Error: unsupported XCLIENT attribute " + name.substr(0, 32)};
        const auto bad = [&name] { return XclientError{"Error: bad XCLIENT " + name + " value"}; };
        const std::optional<std::string> value = decode_xtext(raw);
        if (!value || !printable(*value)) return bad();
        if (unknown(*value)) {
            if (is_address) result.address = std::string();
            else if (is_port) result.port = 0;
            else if (is_name) result.name = std::string();
            else if (is_helo) result.helo = std::string();
            else result.proto = std::string();
            continue;
        }
        if (is_address) {
            result.address = decode_address(*value);
            if (!result.address) return bad();
        } else if (is_port) {
            result.port = decode_port(*value);
            if (!result.port) return bad();
        } else if (is_name || is_helo) {
            if (value->size() > max_name_length) return bad();
            (is_name ? result.name : result.helo) = *value;
        } else {
            if (!core::iequals(*value, "SMTP") && !core::iequals(*value, "ESMTP")) return bad();
            result.proto = core::iequals(*value, "SMTP") ? "SMTP" : "ESMTP";
        }
    }
    return result;
}

}  // namespace mxgate::smtp
