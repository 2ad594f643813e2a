#include "filters/dns/dns_name.hpp"

namespace mxgate::filters::dns {

namespace {

constexpr std::size_t max_label_length = 63;

bool is_letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_label(std::string_view label, LabelOctets octets) {
    if (label.empty() || label.size() > max_label_length) return false;
    switch (octets) {
        case LabelOctets::any: return true;
        case LabelOctets::ldh_underscore:
            for (const char c : label)
                if (!is_letter_or_digit(c) && c != '-' && c != '_') return false;
            return true;
        case LabelOctets::hostname:
            if (label.front() == '-' || label.back() == '-') return false;
            for (const char c : label)
                if (!is_letter_or_digit(c) && c != '-') return false;
            return true;
    }
    return false;
}

}  // namespace

std::optional<std::string_view> dns_name(std::string_view text, const NameRules& rules) {
    // "." alone is the root, never a name one looks up here.
    if (rules.trailing_dot && text.size() > 1 && text.back() == '.') text.remove_suffix(1);
    if (text.empty() || text.size() > rules.max_length) return std::nullopt;
    for (std::size_t start = 0;;) {
        const std::size_t dot = text.find('.', start);
        if (!is_label(text.substr(start, dot - start), rules.octets)) return std::nullopt;
        if (dot == std::string_view::npos) return text;
        start = dot + 1;
    }
}

}  // namespace mxgate::filters::dns
