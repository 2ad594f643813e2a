#include "filters/spf/spf_macro.hpp"

#include <algorithm>
#include <vector>

#include "filters/dns/dns_name.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::spf {

namespace {

constexpr std::size_t max_domain_length = 253;  // RFC 7208 §7.3, the name without its trailing dot
constexpr std::string_view delimiter_chars = ".-+,/_=";
// A record or exp= text of many %{s} could otherwise expand a 64 KiB TXT answer
// into megabytes; no honest use comes near this.
constexpr std::size_t max_expansion = 16 * 1024;

// One %{...} macro-expand (§7.1).
struct Macro {
    char letter = 0;              // lower case
    bool url_escape = false;      // the letter was upper case
    std::size_t keep = 0;         // right-hand parts to keep; 0 = all
    bool reverse = false;
    std::string_view delimiters;  // empty = "."
};

bool allowed_letter(char letter, MacroUse use) {
    switch (letter) {
        case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v': return true;
        case 'c': case 'r': case 't': return use == MacroUse::explanation;  // §7.2
        default: return false;
    }
}

// Reads one macro-expand at text[0] == '%'; on success advances `length` past it
// and fills either `macro` or `literal` ("%%" -> "%", "%_" -> " ", "%-" -> "%20").
bool read_macro(std::string_view text, MacroUse use, std::size_t& length, Macro& macro, std::string_view& literal) {
    if (text.size() < 2) return false;
    switch (text[1]) {
        case '%': literal = "%"; length = 2; return true;
        case '_': literal = " "; length = 2; return true;
        case '-': literal = "%20"; length = 2; return true;
        case '{': break;
        default: return false;
    }
    const std::size_t close = text.find('}', 2);
    if (close == std::string_view::npos || close == 2) return false;
    std::string_view body = text.substr(2, close - 2);
    macro = Macro{};
    macro.letter = core::ascii_lower(body.front());
    macro.url_escape = body.front() >= 'A' && body.front() <= 'Z';
    if (!allowed_letter(macro.letter, use)) return false;
    body.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < body.size() && body[digits] >= '0' && body[digits] <= '9') ++digits;
    if (digits > 0) {
        std::size_t keep = 0;
        for (char c : body.substr(0, digits)) keep = std::min<std::size_t>(keep * 10 + (c - '0'), 1000);
        if (keep == 0) return false;  // §7.3: a DIGIT transformer is nonzero
        macro.keep = keep;
    }
    body.remove_prefix(digits);
    if (!body.empty() && (body.front() == 'r' || body.front() == 'R')) {
        macro.reverse = true;
        body.remove_prefix(1);
    }
    if (body.find_first_not_of(delimiter_chars) != std::string_view::npos) return false;
    macro.delimiters = body;
    length = close + 1;
    return true;
}

bool allowed_literal(char c, MacroUse use) {
    // macro-literal = %x21-24 / %x26-7E; an explanation also has spaces (explain-string).
    return (c >= 0x21 && c <= 0x7e) || (c == ' ' && use == MacroUse::explanation);
}

// Walks a macro-string: on_text(literal, escape) for literal text and the escapes
// "%%", "%_", "%-" (macro-expands in the grammar), on_macro(macro, length) for the
// rest, in order. false on a syntax error.
template <class OnText, class OnMacro>
bool walk(std::string_view text, MacroUse use, OnText&& on_text, OnMacro&& on_macro) {
    while (!text.empty()) {
        if (text.front() != '%') {
            const std::size_t end = std::min(text.find('%'), text.size());
            for (char c : text.substr(0, end))
                if (!allowed_literal(c, use)) return false;
            on_text(text.substr(0, end), false);
            text.remove_prefix(end);
            continue;
        }
        std::size_t length = 0;
        Macro macro;
        std::string_view literal;
        if (!read_macro(text, use, length, macro, literal)) return false;
        if (literal.empty()) on_macro(macro, length);
        else on_text(literal, true);
        text.remove_prefix(length);
    }
    return true;
}

// §7.3 %{i}: dotted quad, or 32 dot-separated nibbles for IPv6.
std::string dotted_address(const boost::asio::ip::address& client) {
    if (client.is_v4()) return client.to_string();
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : client.to_v6().to_bytes()) {
        if (!out.empty()) out += '.';
        out += hex[byte >> 4];
        out += '.';
        out += hex[byte & 0x0f];
    }
    return out;
}

std::string value_of(char letter, const MacroFacts& facts) {
    switch (letter) {
        case 's': return std::string(facts.sender);
        case 'l': return std::string(facts.local_part);
        case 'o': return std::string(facts.sender_domain);
        case 'd': return std::string(facts.domain);
        case 'i': return dotted_address(facts.client);
        case 'p': return std::string(facts.validated_name);
        case 'h': return std::string(facts.helo);
        case 'v': return facts.client.is_v4() ? "in-addr" : "ip6";
        case 'c': return facts.client.to_string();
        case 'r': return facts.receiver.empty() ? "unknown" : std::string(facts.receiver);
        case 't': return std::to_string(facts.now);
        default: return {};
    }
}

// Split on the delimiters, reverse, keep the right-hand parts, join with '.' (§7.3).
std::string transform(const std::string& value, const Macro& macro) {
    if (macro.keep == 0 && !macro.reverse && (macro.delimiters.empty() || macro.delimiters == ".")) return value;
    const std::string_view delimiters = macro.delimiters.empty() ? std::string_view(".") : macro.delimiters;
    std::vector<std::string_view> parts;
    std::string_view rest = value;
    for (;;) {
        const std::size_t at = rest.find_first_of(delimiters);
        parts.push_back(rest.substr(0, at));
        if (at == std::string_view::npos) break;
        rest.remove_prefix(at + 1);
    }
    if (macro.reverse) std::reverse(parts.begin(), parts.end());
    const std::size_t skip = macro.keep != 0 && macro.keep < parts.size() ? parts.size() - macro.keep : 0;
    std::string out;
    for (std::size_t i = skip; i < parts.size(); ++i) {
        if (i > skip) out += '.';
        out += parts[i];
    }
    return out;
}

// RFC 3986 unreserved characters stay; everything else is %XX in upper-case hex.
std::string url_escape(std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        }
    }
    return out;
}

}  // namespace

bool valid_macro_string(std::string_view text, MacroUse use) {
    return walk(text, use, [](std::string_view, bool) {}, [](const Macro&, std::size_t) {});
}

std::size_t literal_suffix_start(std::string_view text) {
    std::size_t position = 0, tail = 0;
    const bool valid = walk(
        text, MacroUse::explanation,
        [&](std::string_view literal, bool escape) {
            position += escape ? 2 : literal.size();
            if (escape) tail = position;
        },
        [&](const Macro&, std::size_t length) { tail = position += length; });
    return valid ? tail : text.size();
}

bool uses_validated_name(std::string_view text) {
    bool uses = false;
    walk(text, MacroUse::explanation, [](std::string_view, bool) {},
         [&](const Macro& m, std::size_t) { uses = uses || m.letter == 'p'; });
    return uses;
}

std::optional<std::string> expand_macros(std::string_view text, const MacroFacts& facts, MacroUse use) {
    std::string out;
    const bool valid = walk(
        text, use, [&](std::string_view literal, bool) { out += literal; },
        [&](const Macro& macro, std::size_t) {
            if (out.size() > max_expansion) return;
            std::string value = transform(value_of(macro.letter, facts), macro);
            out += macro.url_escape ? url_escape(value) : value;
        });
    if (!valid || out.size() > max_expansion) return std::nullopt;
    if (use == MacroUse::domain) {
        // §7.3: drop labels from the left until the name fits.
        const bool trailing_dot = !out.empty() && out.back() == '.';
        std::string_view name(out);
        if (trailing_dot) name.remove_suffix(1);
        while (name.size() > max_domain_length) {
            const std::size_t dot = name.find('.');
            if (dot == std::string_view::npos) return std::string();
            name.remove_prefix(dot + 1);
        }
        out = std::string(name);
    }
    return out;
}

std::optional<std::string> query_name(std::string_view expanded) {
    // A macro may expand to any octet, and DNS takes any in a TXT question: only lengths matter.
    const auto name = dns::dns_name(expanded, {.octets = dns::LabelOctets::any, .trailing_dot = true});
    if (!name) return std::nullopt;
    return std::string(*name);
}

}  // namespace mxgate::filters::spf
