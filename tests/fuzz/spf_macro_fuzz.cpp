// libFuzzer: SPF macro-strings (RFC 7208 §7) from a domain's record or exp= TXT,
// expanded with facts that come from the input too (the client's address, the
// sender, HELO: what an SMTP client chooses). abort()s when:
// - expand_macros and valid_macro_string disagree on whether the text is valid
//   (beyond the 16 KiB cap on a result, which only macros can reach);
// - a text without '%' does not expand to itself (an explanation, or a
//   domain-spec short enough not to be cut, less its trailing dot if it drops it);
// - an expanded domain-spec that query_name() accepts is longer than 253 octets
//   (§7.3), or query_name() accepts a name with an empty label, a label over 63
//   octets, or returns anything but its input less one trailing dot;
// - a text uses_validated_name() calls free of %{p} expands differently with
//   another validated name;
// - i, c or v do not give the §7.3 forms of the client address, or an upper-case
//   letter with transformers is not the lower-case value split, reversed, cut and
//   URL-escaped (§7.3, checked against a reference written here from the RFC text).
//
// Input: byte 0 flags (bit 0 use, bit 1 IPv6), bytes 1-16 the address, byte 17
// the letter of the transformer check, byte 18 its transformers (count, reverse,
// delimiters, case); then lines: the macro-string, local-part, sender domain,
// current domain, HELO, receiver, validated name. Missing lines take RFC 7208
// §7.4's example values.
#include "filters/spf/spf_macro.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mxgate::filters::spf;
namespace ip = boost::asio::ip;

void check(bool ok) {
    if (!ok) std::abort();
}

constexpr std::size_t header_size = 19;

// The client as SpfEvaluator passes it: an IPv4-mapped IPv6 address arrives as
// IPv4 (spf_evaluator.cpp unmaps it; the expander itself does not).
ip::address client_from(std::uint8_t flags, const std::uint8_t* bytes) {
    if ((flags & 2) == 0) return ip::address_v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    ip::address_v6::bytes_type v6{};
    std::copy(bytes, bytes + 16, v6.begin());
    const ip::address_v6 address(v6);
    if (address.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, address);
    return address;
}

// What §7.3 says i, c and v give for the client.
struct AddressForms {
    std::string i, c, v;
};
AddressForms address_forms(const ip::address& client) {
    if (client.is_v4()) return {client.to_string(), client.to_string(), "in-addr"};
    std::string nibbles;
    for (const unsigned char byte : client.to_v6().to_bytes()) {
        for (const unsigned nibble : {byte >> 4, byte & 0xf}) {
            if (!nibbles.empty()) nibbles += '.';
            nibbles += "0123456789abcdef"[nibble];
        }
    }
    return {nibbles, client.to_string(), "ip6"};
}

// RFC 3986 unreserved characters stay, everything else becomes %XX, upper-case hex.
std::string url_escape(std::string_view value) {
    std::string escaped;
    for (const unsigned char c : value) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            escaped += static_cast<char>(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            escaped += hex;
        }
    }
    return escaped;
}

// §7.3 transformers on a value: split at any delimiter, reverse, keep the right-most
// `keep` parts (0: all), join with ".". nullopt where the RFC leaves the result
// open (empty parts, which implementations split differently).
std::optional<std::string> transform(std::string_view value, unsigned keep, bool reverse, std::string_view delimiters) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i) {
        if (i == value.size() || delimiters.find(value[i]) != std::string_view::npos) {
            if (i == start) return std::nullopt;
            parts.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    if (reverse) std::reverse(parts.begin(), parts.end());
    if (keep != 0 && keep < parts.size()) parts.erase(parts.begin(), parts.end() - keep);
    std::string joined;
    for (const auto part : parts) joined += (joined.empty() ? "" : ".") + std::string(part);
    return joined;
}

// One macro with transformers, picked by two input bytes, expanded as an explanation
// (every letter allowed, no cut to 253 octets) and compared with the reference.
void check_transformers(std::uint8_t letter_byte, std::uint8_t spec, const MacroFacts& facts) {
    constexpr std::string_view letters = "slodiphvcrt";
    constexpr std::string_view all_delimiters = ".-+,/_=";
    const char letter = letters[letter_byte % letters.size()];
    const unsigned keep = spec & 7;  // 0: no digit
    const bool reverse = (spec & 8) != 0;
    const bool upper = (spec & 16) != 0;
    const std::string delimiters = (spec & 32) != 0 ? std::string(all_delimiters.substr((spec >> 6) % 4, 3)) : "";

    const auto plain = expand_macros(std::string("%{") + letter + "}", facts, MacroUse::explanation);
    check(plain.has_value());
    std::string macro = "%{";
    macro += upper ? static_cast<char>(letter - 'a' + 'A') : letter;
    if (keep != 0) macro += std::to_string(keep);
    if (reverse) macro += 'r';
    macro += delimiters + "}";
    const auto expanded = expand_macros(macro, facts, MacroUse::explanation);
    check(expanded.has_value());
    const auto expected = transform(*plain, keep, reverse, delimiters.empty() ? "." : delimiters);
    if (!expected) return;
    check(*expanded == (upper ? url_escape(*expected) : *expected));
}

void check_query_name(std::string_view name) {
    const auto query = query_name(name);
    if (!query) return;
    std::string_view expected = name;
    if (!expected.empty() && expected.back() == '.') expected.remove_suffix(1);
    check(*query == expected);
    std::size_t start = 0;
    for (std::size_t i = 0; i <= query->size(); ++i) {
        if (i == query->size() || (*query)[i] == '.') {
            check(i > start && i - start <= 63);
            start = i + 1;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < header_size) return 0;
    const std::uint8_t flags = data[0];
    const MacroUse use = (flags & 1) != 0 ? MacroUse::explanation : MacroUse::domain;

    // The lines after the header; RFC 7208 §7.4's facts where the input stops.
    std::array<std::string_view, 7> fields = {"", "strong-bad", "email.example.com", "email.example.com",
                                              "mx.example.org", "mx.example.net", "mx.example.org"};
    std::string_view rest(reinterpret_cast<const char*>(data + header_size), size - header_size);
    for (std::size_t k = 0; k < fields.size() && (k == 0 || !rest.empty()); ++k) {
        const std::size_t newline = rest.find('\n');
        fields[k] = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    }
    const std::string_view text = fields[0];
    const std::string sender = std::string(fields[1]) + "@" + std::string(fields[2]);
    MacroFacts facts;
    facts.sender = sender;
    facts.local_part = fields[1];
    facts.sender_domain = fields[2];
    facts.domain = fields[3];
    facts.client = client_from(flags, data + 1);
    facts.helo = fields[4];
    facts.receiver = fields[5];
    facts.validated_name = fields[6];
    facts.now = 1'000'000'000 + data[17];

    const auto expanded = expand_macros(text, facts, use);
    const bool valid = valid_macro_string(text, use);
    check(!expanded || valid);
    if (!expanded && valid) check(text.find("%{") != std::string_view::npos);  // over the cap
    check_query_name(text);
    if (expanded) {
        // A domain-spec may lose its trailing dot (query_name() drops it anyway).
        std::string_view literal = text;
        if (use == MacroUse::domain && !literal.empty() && literal.back() == '.' && expanded->size() < literal.size())
            literal.remove_suffix(1);
        const bool cut_possible = use == MacroUse::domain && text.size() > 253;
        if (text.find('%') == std::string_view::npos && !cut_possible) check(*expanded == literal);
        if (use == MacroUse::domain) {
            check_query_name(*expanded);
            if (query_name(*expanded)) check(query_name(*expanded)->size() <= 253);
        }
        if (!uses_validated_name(text)) {
            MacroFacts other = facts;
            other.validated_name = "other.example";
            check(expand_macros(text, other, use) == expanded);
        }
    }

    const AddressForms forms = address_forms(facts.client);
    check(expand_macros("%{i}", facts, MacroUse::explanation) == forms.i);
    check(expand_macros("%{c}", facts, MacroUse::explanation) == forms.c);
    check(expand_macros("%{v}", facts, MacroUse::domain) == forms.v);
    check_transformers(data[17], data[18], facts);
    return 0;
}
