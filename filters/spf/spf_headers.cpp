#include "filters/spf/spf_headers.hpp"

#include <cctype>
#include <vector>

namespace mxgate::filters::spf {

namespace {

constexpr std::size_t fold_at = 78;  // RFC 5322 §2.1.1: SHOULD keep lines within 78

bool atext(char c) {  // RFC 5322 §3.2.3
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

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
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c >= 0x20 && c < 0x7f) {
            out += c;
        } else {
            out += '?';
        }
    }
    return out + '"';
}

std::string dot_atom_or_quoted(std::string_view s) { return is_dot_atom(s) ? std::string(s) : quoted(s); }

// Text inside a comment: no unbalanced parentheses, no controls (RFC 5322 §3.2.2).
std::string comment_text(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '(' || c == ')' || c == '\\') {
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

std::string comment_for(const SpfVerdict& v, std::string_view ip, std::string_view receiver) {
    const std::string who = comment_text(v.sender);
    const std::string r = comment_text(receiver);
    switch (v.result) {
        case SpfResult::pass: return r + ": domain of " + who + " designates " + std::string(ip) + " as permitted sender";
        case SpfResult::fail:
            return r + ": domain of " + who + " does not designate " + std::string(ip) + " as permitted sender";
        case SpfResult::softfail:
            return r + ": domain of transitioning " + who + " does not designate " + std::string(ip) +
                   " as permitted sender";
        case SpfResult::neutral:
            return r + ": " + std::string(ip) + " is neither permitted nor denied by domain of " + who;
        case SpfResult::none: return r + ": domain of " + who + " does not publish an SPF record";
        case SpfResult::temperror: return r + ": error in processing during lookup of " + who;
        case SpfResult::permerror: return r + ": permanent error in processing domain of " + who;
    }
    return r;
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

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::string received_spf_header(const SpfVerdict& verdict, const boost::asio::ip::address& client_address,
                                 std::string_view helo, std::string_view receiver) {
    const std::string ip = client_address.to_string();
    std::vector<std::string> words;
    // The comment is split into words so it folds like the rest.
    const std::string comment = "(" + comment_for(verdict, ip, receiver) + ")";
    for (std::size_t start = 0; start < comment.size();) {
        const auto space = std::min(comment.find(' ', start), comment.size());
        words.emplace_back(comment.substr(start, space - start));
        start = space + 1;
    }
    words.push_back("client-ip=" + ip + ";");
    words.push_back("envelope-from=" + quoted(verdict.sender) + ";");
    if (!helo.empty()) words.push_back("helo=" + dot_atom_or_quoted(helo) + ";");
    words.push_back("receiver=" + dot_atom_or_quoted(receiver) + ";");
    words.push_back("identity=" + std::string(to_string(verdict.identity)));
    return fold("Received-SPF: " + std::string(to_string(verdict.result)), words);
}

std::string spf_resinfo(const SpfVerdict& verdict, std::string_view helo) {
    std::string out = "spf=" + std::string(to_string(verdict.result));
    if (verdict.identity == Identity::helo)
        out += " smtp.helo=" + pvalue(helo.empty() ? std::string_view(verdict.domain) : helo);
    else
        out += " smtp.mailfrom=" + pvalue(verdict.sender);
    return out;
}

std::string authentication_results_header(std::string_view authserv_id, std::string_view resinfo) {
    std::vector<std::string> words;
    for (std::size_t start = 0; start < resinfo.size();) {
        const auto space = std::min(resinfo.find(' ', start), resinfo.size());
        words.emplace_back(resinfo.substr(start, space - start));
        start = space + 1;
    }
    std::string out = "Authentication-Results: " + pvalue(authserv_id) + ";\r\n\t";
    std::string rest = fold("", words);  // " spf=pass ..." with its own folds
    return out + rest.substr(1);
}

bool claims_authserv_id(std::string_view header, std::string_view authserv_id) {
    // Optional field name.
    constexpr std::string_view field = "authentication-results";
    if (const auto colon = header.find(':'); colon != std::string_view::npos) {
        std::string_view name = header.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        if (iequals(name, field)) header.remove_prefix(colon + 1);
    }
    header = skip_cfws(header);
    if (header.empty() || authserv_id.empty()) return false;
    std::string id;
    if (header.front() == '"') {  // quoted-string
        header.remove_prefix(1);
        bool closed = false;
        while (!header.empty()) {
            const char c = header.front();
            header.remove_prefix(1);
            if (c == '\\' && !header.empty()) {
                id += header.front();
                header.remove_prefix(1);
            } else if (c == '"') {
                closed = true;
                break;
            } else if (c != '\r' && c != '\n') {
                id += c;
            }
        }
        if (!closed) return false;
    } else {  // token (RFC 2045): up to CFWS, ';' or tspecials
        while (!header.empty()) {
            const char c = header.front();
            if (c == ';' || c == '(' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
            id += c;
            header.remove_prefix(1);
        }
    }
    // What follows must be: [CFWS version] (";" | end).
    header = skip_cfws(header);
    while (!header.empty() && std::isdigit(static_cast<unsigned char>(header.front()))) header.remove_prefix(1);
    header = skip_cfws(header);
    if (!header.empty() && header.front() != ';') return false;
    return iequals(id, authserv_id);
}

}  // namespace mxgate::filters::spf
