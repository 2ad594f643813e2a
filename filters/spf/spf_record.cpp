#include "filters/spf/spf_record.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

#include "filters/spf/spf_macro.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::spf {

std::string_view to_string(MechanismKind kind) {
    switch (kind) {
        case MechanismKind::all: return "all";
        case MechanismKind::include: return "include";
        case MechanismKind::a: return "a";
        case MechanismKind::mx: return "mx";
        case MechanismKind::ptr: return "ptr";
        case MechanismKind::ip4: return "ip4";
        case MechanismKind::ip6: return "ip6";
        case MechanismKind::exists: return "exists";
    }
    return "all";
}

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

// §12: toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool valid_toplabel(std::string_view label) {
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    bool has_alpha = false, has_hyphen = false;
    for (char c : label) {
        if (c == '-') has_hyphen = true;
        else if (is_alpha(c)) has_alpha = true;
        else if (!is_digit(c)) return false;
    }
    return has_alpha || has_hyphen;
}

// "/" followed by 0 or a number without a leading zero, at most `max`.
std::optional<int> cidr_length(std::string_view digits, int max) {
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
    // Digits only: from_chars would take "-2", a shift by 34 bits in the matcher.
    for (char c : digits)
        if (!is_digit(c)) return std::nullopt;
    int value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value > max) return std::nullopt;
    return value;
}

std::string_view strip_digits_suffix(std::string_view& text) {
    std::size_t start = text.size();
    while (start > 0 && is_digit(text[start - 1])) --start;
    std::string_view digits = text.substr(start);
    text = text.substr(0, start);
    return digits;
}

// §5.6 dual-cidr-length at the end of an a/mx term: [ "/" ip4 ] [ "//" ip6 ].
// Strips it from `text`; false when what looks like one is malformed.
bool take_dual_cidr(std::string_view& text, Mechanism& m) {
    std::string_view rest = text;
    std::string_view digits = strip_digits_suffix(rest);
    if (digits.empty() || !rest.ends_with('/')) return true;  // no CIDR length: a domain-end
    rest.remove_suffix(1);
    if (rest.ends_with('/')) {  // "//N": the IPv6 length, maybe after an IPv4 one
        rest.remove_suffix(1);
        const auto v6 = cidr_length(digits, 128);
        if (!v6) return false;
        m.cidr6 = *v6;
        std::string_view before = rest;
        std::string_view v4_digits = strip_digits_suffix(before);
        if (!v4_digits.empty() && before.ends_with('/')) {
            before.remove_suffix(1);
            const auto v4 = cidr_length(v4_digits, 32);
            if (!v4) return false;
            m.cidr4 = *v4;
            rest = before;
        }
    } else {
        const auto v4 = cidr_length(digits, 32);
        if (!v4) return false;
        m.cidr4 = *v4;
    }
    text = rest;
    return true;
}

struct Keyword {
    std::string_view name;
    MechanismKind kind;
};
constexpr std::array<Keyword, 8> mechanism_names{{{"all", MechanismKind::all},
                                                   {"include", MechanismKind::include},
                                                   {"a", MechanismKind::a},
                                                   {"mx", MechanismKind::mx},
                                                   {"ptr", MechanismKind::ptr},
                                                   {"ip4", MechanismKind::ip4},
                                                   {"ip6", MechanismKind::ip6},
                                                   {"exists", MechanismKind::exists}}};

std::optional<Qualifier> qualifier_of(char c) {
    switch (c) {
        case '+': return Qualifier::pass;
        case '-': return Qualifier::fail;
        case '~': return Qualifier::softfail;
        case '?': return Qualifier::neutral;
        default: return std::nullopt;
    }
}

// One directive ([qualifier] mechanism); an empty string, or the reason it is malformed.
std::string parse_directive(std::string_view term, Mechanism& m) {
    if (auto q = qualifier_of(term.front())) {
        m.qualifier = *q;
        term.remove_prefix(1);
    }
    std::size_t name_end = 0;
    while (name_end < term.size() && is_alnum(term[name_end])) ++name_end;
    const std::string name = core::ascii_lower(term.substr(0, name_end));
    const Keyword* keyword = nullptr;
    for (const auto& k : mechanism_names)
        if (k.name == name) keyword = &k;
    if (keyword == nullptr) return "unknown mechanism '" + core::printable(term, 40) + "'";
    m.kind = keyword->kind;
    std::string_view rest = term.substr(name_end);
    const std::string_view shown = keyword->name;

    switch (m.kind) {
        case MechanismKind::all:
            if (!rest.empty()) return "'all' takes no argument";
            return {};
        case MechanismKind::ip4:
        case MechanismKind::ip6: {
            if (!rest.starts_with(':')) return std::string(shown) + " needs ':' and a network";
            rest.remove_prefix(1);
            const bool v4 = m.kind == MechanismKind::ip4;
            if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
                const auto length = cidr_length(rest.substr(slash + 1), v4 ? 32 : 128);
                if (!length) return "bad CIDR length in " + core::printable(term, 60);
                (v4 ? m.cidr4 : m.cidr6) = *length;
                rest = rest.substr(0, slash);
            }
            const std::string text(rest);
            if (v4) {
                in_addr address{};
                if (::inet_pton(AF_INET, text.c_str(), &address) != 1) return "bad IPv4 network " + core::printable(text, 60);
                std::array<unsigned char, 4> bytes{};
                std::memcpy(bytes.data(), &address, 4);
                m.network = boost::asio::ip::address_v4(bytes);
            } else {
                in6_addr address{};
                if (::inet_pton(AF_INET6, text.c_str(), &address) != 1) return "bad IPv6 network " + core::printable(text, 60);
                std::array<unsigned char, 16> bytes{};
                std::memcpy(bytes.data(), &address, 16);
                m.network = boost::asio::ip::address_v6(bytes);
            }
            return {};
        }
        case MechanismKind::a:
        case MechanismKind::mx:
            if (!take_dual_cidr(rest, m)) return "bad CIDR length in " + core::printable(term, 60);
            [[fallthrough]];
        case MechanismKind::ptr:
            if (rest.empty()) return {};  // the current domain
            [[fallthrough]];
        case MechanismKind::include:
        case MechanismKind::exists:
            if (!rest.starts_with(':')) return std::string(shown) + " needs ':' and a domain";
            rest.remove_prefix(1);
            if (!valid_domain_spec(rest)) return "bad domain-spec in " + core::printable(term, 60);
            m.domain_spec = std::string(rest);
            return {};
    }
    return "unknown mechanism";
}

// §12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), the length of the name
// when `term` starts with one followed by '=', else 0.
std::size_t modifier_name_length(std::string_view term) {
    if (term.empty() || !is_alpha(term.front())) return 0;
    std::size_t i = 1;
    while (i < term.size() && (is_alnum(term[i]) || term[i] == '-' || term[i] == '_' || term[i] == '.')) ++i;
    return i < term.size() && term[i] == '=' ? i : 0;
}

}  // namespace

bool valid_domain_spec(std::string_view spec) {
    if (spec.empty() || !valid_macro_string(spec, MacroUse::domain)) return false;
    // domain-end = ( "." toplabel [ "." ] ) / macro-expand
    const std::size_t literal_tail = literal_suffix_start(spec);
    if (literal_tail == spec.size()) return true;  // ends with a macro-expand
    std::string_view text = spec.substr(literal_tail);
    if (text.back() == '.') text.remove_suffix(1);
    const std::size_t dot = text.rfind('.');
    return dot != std::string_view::npos && valid_toplabel(text.substr(dot + 1));
}

bool is_spf_record(std::string_view txt) {
    constexpr std::string_view version = "v=spf1";
    return txt.size() >= version.size() && core::iequals(txt.substr(0, version.size()), version) &&
           (txt.size() == version.size() || txt[version.size()] == ' ');
}

ParsedRecord parse_record(std::string_view txt) {
    ParsedRecord out;
    // §3.1, §4.5: US-ASCII only; terms are separated by spaces (SP), nothing else.
    for (unsigned char c : txt)
        if (c < 0x20 || c > 0x7e) {
            out.error = "a control or non-ASCII character in the record";
            return out;
        }
    Record record;
    std::string_view rest = txt.substr(6);  // after "v=spf1"
    while (!rest.empty()) {
        const std::size_t start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const std::size_t end = std::min(rest.find(' '), rest.size());
        const std::string_view term = rest.substr(0, end);
        rest.remove_prefix(end);

        if (const std::size_t name_length = modifier_name_length(term)) {
            const std::string name = core::ascii_lower(term.substr(0, name_length));
            const std::string_view value = term.substr(name_length + 1);
            if (name == "redirect" || name == "exp") {
                std::optional<std::string>& slot = name == "redirect" ? record.redirect : record.exp;
                if (slot) {  // §6: at most once each
                    out.error = name + "= appears twice";
                    return out;
                }
                if (!valid_domain_spec(value)) {
                    out.error = "bad domain-spec in " + core::printable(term, 60);
                    return out;
                }
                slot = std::string(value);
            } else if (!valid_macro_string(value, MacroUse::domain)) {  // unknown modifiers: syntax only (§6)
                out.error = "bad macro-string in modifier " + core::printable(term, 60);
                return out;
            }
            continue;
        }
        Mechanism mechanism;
        if (std::string error = parse_directive(term, mechanism); !error.empty()) {
            out.error = std::move(error);
            return out;
        }
        record.has_all = record.has_all || mechanism.kind == MechanismKind::all;
        record.mechanisms.push_back(std::move(mechanism));
    }
    out.record = std::move(record);
    return out;
}

}  // namespace mxgate::filters::spf
