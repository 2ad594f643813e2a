#include "filters/dmarc/dmarc_record.hpp"

#include <charconv>
#include <set>

#include "proxy/core/text.hpp"

namespace mxgate::filters::dmarc {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// tag-spec = tag-name *WSP "=" *WSP tag-value (RFC 6376 §3.2); tag-name = ALPHA *ALNUMPUNC.
bool split_tag(std::string_view part, std::string_view& name, std::string_view& value) {
    const std::size_t equals = part.find('=');
    if (equals == std::string_view::npos) return false;
    name = trimmed(part.substr(0, equals));
    value = trimmed(part.substr(equals + 1));
    if (name.empty() || !is_alpha(name[0])) return false;
    for (const char c : name)
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    return true;
}

// ABNF literals are case-insensitive (RFC 5234 §2.3).
std::optional<Policy> policy_of(std::string_view value) {
    if (core::iequals(value, "none")) return Policy::none;
    if (core::iequals(value, "quarantine")) return Policy::quarantine;
    if (core::iequals(value, "reject")) return Policy::reject;
    return std::nullopt;
}

std::optional<Alignment> alignment_of(std::string_view value) {
    if (core::iequals(value, "r")) return Alignment::relaxed;
    if (core::iequals(value, "s")) return Alignment::strict;
    return std::nullopt;
}

// 1*DIGIT up to `max`; no sign.
std::optional<std::uint32_t> number_of(std::string_view value, std::uint32_t max) {
    std::uint32_t n = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() || n > max) return std::nullopt;
    return n;
}

// §6.4 dmarc-uri: an absolute URI ("mailto:...", RFC 3986 scheme ":" ...) with an
// optional "!size"; commas and semicolons inside must be %-encoded. Only its shape is checked.
bool is_report_uri(std::string_view uri) {
    const std::size_t colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size() || !is_alpha(uri[0])) return false;
    for (const char c : uri.substr(0, colon))
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    for (const char c : uri)
        if (c <= ' ' || c >= 0x7f) return false;
    return true;
}

// The valid URIs of a comma-separated list; invalid ones are dropped.
std::vector<std::string> report_uris(std::string_view value) {
    std::vector<std::string> uris;
    for (std::size_t start = 0; start <= value.size();) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        const std::string_view uri = trimmed(value.substr(start, comma - start));
        if (is_report_uri(uri)) uris.emplace_back(uri);
        start = comma + 1;
    }
    return uris;
}

}  // namespace

std::string_view to_string(Policy policy) {
    switch (policy) {
        case Policy::none: return "none";
        case Policy::quarantine: return "quarantine";
        case Policy::reject: return "reject";
    }
    return "none";
}

bool is_dmarc_record(std::string_view txt) {
    if (txt.empty() || is_wsp(txt.front())) return false;  // "v" starts the record
    std::string_view name, value;
    return split_tag(txt.substr(0, txt.find(';')), name, value) && name == "v" && value == "DMARC1";
}

ParsedRecord parse_record(std::string_view txt) {
    if (!is_dmarc_record(txt)) return {std::nullopt, "not a v=DMARC1 record"};
    DmarcRecord record;
    bool policy_valid = false;
    bool subdomain_policy_invalid = false;
    std::set<std::string, std::less<>> seen;
    std::size_t start = txt.find(';');
    while (start != std::string_view::npos && start < txt.size()) {
        const std::size_t end = txt.find(';', start + 1);
        const std::size_t length = end == std::string_view::npos ? end : end - start - 1;
        const std::string_view part = trimmed(txt.substr(start + 1, length));
        start = end;
        if (part.empty()) continue;  // ";;" or the optional final ';'
        std::string_view name, value;
        if (!split_tag(part, name, value)) return {std::nullopt, "malformed tag '" + core::printable(part, 40) + "'"};
        const std::string key = core::ascii_lower(name);
        if (!seen.insert(key).second || key == "v") return {std::nullopt, "repeated tag '" + key + "'"};
        if (key == "p") {
            const auto policy = policy_of(value);
            policy_valid = policy.has_value();
            record.policy = policy.value_or(Policy::none);
        } else if (key == "sp") {
            record.subdomain_policy = policy_of(value);
            subdomain_policy_invalid = !record.subdomain_policy;
        } else if (key == "adkim") {
            record.dkim_alignment = alignment_of(value).value_or(Alignment::relaxed);
        } else if (key == "aspf") {
            record.spf_alignment = alignment_of(value).value_or(Alignment::relaxed);
        } else if (key == "pct") {
            record.percent = static_cast<int>(number_of(value, 100).value_or(100));
        } else if (key == "rua") {
            record.aggregate_uris = report_uris(value);
        } else if (key == "ruf") {
            record.failure_uris = report_uris(value);
        } else if (key == "fo") {
            record.failure_options = std::string(value);
        } else if (key == "ri") {
            record.report_interval = number_of(value, UINT32_MAX).value_or(86400);
        }
        // rf= and unknown tags: ignored (§6.3).
    }
    if (!policy_valid || subdomain_policy_invalid) {
        // §6.6.3 step 6: a valid rua= makes it "v=DMARC1; p=none"; otherwise no DMARC.
        if (record.aggregate_uris.empty())
            return {std::nullopt, policy_valid ? "invalid sp=" : seen.contains("p") ? "invalid p=" : "no p="};
        record.policy = Policy::none;
        record.subdomain_policy.reset();
        record.policy_assumed = true;
    }
    return {std::move(record), {}};
}

}  // namespace mxgate::filters::dmarc
