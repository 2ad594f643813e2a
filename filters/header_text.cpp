#include "filters/header_text.hpp"

#include <algorithm>
#include <cctype>

namespace mxgate::filters::header_text {

namespace {

constexpr std::size_t fold_at = 78;  // RFC 5322 §2.1.1: SHOULD keep lines within 78

bool atext(char c) {  // RFC 5322 §3.2.3
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Printable ASCII with `specials` backslash-escaped (a quoted-pair); other octets become '?'.
std::string escaped(std::string_view s, std::string_view specials) {
    std::string out;
    for (char c : s) {
        if (specials.find(c) != std::string_view::npos) {
            out += '\\';
            out += c;
        } else if (c >= 0x20 && c < 0x7f) {
            out += c;
        } else {
            out += '?';
        }
    }
    return out;
}

}  // namespace

bool is_dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    char previous = 0;
    for (char c : s) {
        if (c == '.' && previous == '.') return false;
        if (c != '.' && !atext(c)) return false;
        previous = c;
    }
    return true;
}

// A quoted-string with only printable ASCII inside; anything else becomes '?'.
std::string quoted(std::string_view s) { return "\"" + escaped(s, "\"\\") + "\""; }

std::string dot_atom_or_quoted(std::string_view s) { return is_dot_atom(s) ? std::string(s) : quoted(s); }

// Text inside a comment: no unbalanced parentheses, no controls (RFC 5322 §3.2.2).
std::string comment_text(std::string_view s) { return escaped(s, "()\\"); }

// RFC 8601 value: token or quoted-string; an address "local@domain" is allowed
// as pvalue when the local part is a dot-atom.
std::string pvalue(std::string_view s) {
    const auto at = s.rfind('@');
    if (at != std::string_view::npos && is_dot_atom(s.substr(0, at)) && is_dot_atom(s.substr(at + 1)))
        return std::string(s);
    if (at == std::string_view::npos && is_dot_atom(s)) return std::string(s);
    return quoted(s);
}

// Joins words with single spaces, folding (CRLF TAB) before a word that would
// pass fold_at. Words never contain CR or LF.
std::string fold(std::string_view first, const std::vector<std::string>& words) {
    std::string out(first);
    std::size_t line = out.size();
    for (const auto& word : words) {
        if (line + 1 + word.size() > fold_at && line > 1) {
            out += "\r\n\t";
            line = 1;
        } else {
            out += ' ';
            ++line;
        }
        out += word;
        line += word.size();
    }
    return out + "\r\n";
}

std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> words;
    for (std::size_t start = 0; start < text.size();) {
        const auto space = std::min(text.find(' ', start), text.size());
        words.emplace_back(text.substr(start, space - start));
        start = space + 1;
    }
    return words;
}

// Skips folding white space and comments (nested, with quoted-pairs).
std::string_view skip_cfws(std::string_view s) {
    for (;;) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
            s.remove_prefix(1);
        if (s.empty() || s.front() != '(') return s;
        int depth = 0;
        while (!s.empty()) {
            const char c = s.front();
            s.remove_prefix(1);
            if (c == '\\' && !s.empty()) {
                s.remove_prefix(1);
            } else if (c == '(') {
                ++depth;
            } else if (c == ')' && --depth == 0) {
                break;
            }
        }
        if (depth != 0) return {};  // unterminated comment: nothing usable follows
    }
}

}  // namespace mxgate::filters::header_text
