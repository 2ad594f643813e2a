// Templates over findings (text_template.hpp).
#include "policy/rules/text_template.hpp"

#include <cctype>

namespace mxgate::policy::rules {

namespace {

struct Placeholder {
    std::string_view finding;
    std::string_view attr;
};

// One pass over the template: literal text and placeholders in order, or the
// first mistake. `emit` is called for each piece of a valid template.
template <class Emit>
std::optional<std::string> walk(std::string_view text, Emit&& emit) {
    std::size_t i = 0;
    while (i < text.size()) {
        const char ch = text[i];
        if (ch == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') {
                emit(std::string_view("}"), Placeholder{});
                i += 2;
                continue;
            }
            return "\"}}\" for the lone '}' at character " + std::to_string(i + 1);
        }
        if (ch != '{') {
            const std::size_t next = text.find_first_of("{}", i);
            const std::size_t end = next == std::string_view::npos ? text.size() : next;
            emit(text.substr(i, end - i), Placeholder{});
            i = end;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '{') {
            emit(std::string_view("{"), Placeholder{});
            i += 2;
            continue;
        }
        const std::size_t close = text.find('}', i);
        if (close == std::string_view::npos)
            return "a '}' to close the '{' at character " + std::to_string(i + 1) + " (\"{{\" for a brace)";
        const std::string_view inside = text.substr(i + 1, close - i - 1);
        const std::size_t dot = inside.rfind('.');
        if (dot == std::string_view::npos || dot == 0 || dot + 1 == inside.size())
            return "{<finding>.<attribute>} like {greylist.retry_after}, got \"{" + std::string(inside) + "}\"";
        for (const char c : inside)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
                return "letters, digits, '.', '_' and '-' in a placeholder, got \"{" + std::string(inside) + "}\"";
        emit(std::string_view(), Placeholder{inside.substr(0, dot), inside.substr(dot + 1)});
        i = close + 1;
    }
    return std::nullopt;
}

const core::Finding* named(std::span<const core::Finding> findings, std::string_view name) {
    for (const auto& finding : findings)
        if (finding.name == name) return &finding;
    return nullptr;
}

// A value as a reply may carry it: what is not printable ASCII becomes '?', and it
// is cut short. Idempotent, so a fact a filter already made printable (core::printable,
// "\x0d" for a CR) reads the same.
void append_safe(std::string& out, std::string_view value) {
    for (const char c : value.substr(0, max_placeholder_chars)) {
        const auto u = static_cast<unsigned char>(c);
        out += u < 0x20 || u >= 0x7f ? '?' : c;
    }
}

}  // namespace

std::optional<std::string> template_error(std::string_view text, Reasons reasons) {
    std::optional<std::string> misuse;
    auto error = walk(text, [&](std::string_view, Placeholder p) {
        if (p.attr == "reason" && reasons == Reasons::refused && !misuse)
            misuse = "no {" + std::string(p.finding) + ".reason} in a reply: a finding's reason is for logs and "
                     "quarantine reasons, never sent to the client";
    });
    return error ? error : misuse;
}

bool has_placeholders(std::string_view text) { return text.find_first_of("{}") != std::string_view::npos; }

std::string render_template(std::string_view text, std::span<const core::Finding> stage_findings,
                            std::span<const core::Finding> findings) {
    std::string out;
    walk(text, [&](std::string_view literal, Placeholder p) {
        if (p.finding.empty()) {
            out += literal;
            return;
        }
        const core::Finding* finding = named(stage_findings, p.finding);
        if (!finding) finding = named(findings, p.finding);
        if (!finding) return;
        std::string_view value = finding->attr(p.attr);
        if (value.empty() && p.attr == "reason") value = finding->reason;
        append_safe(out, value);
    });
    if (out.size() > max_rendered_chars) out.resize(max_rendered_chars);
    return out;
}

}  // namespace mxgate::policy::rules
