// SMTP command line parser: see command.hpp. Strict where smuggling or address
// confusion could follow (paths, parameters, control characters), lenient only
// where Postfix is (one SP after "FROM:"/"TO:", runs of SP between tokens,
// trailing SP, the syntax of the HELO/EHLO argument).
#include "proxy/smtp/command.hpp"

#include <array>
#include <cstddef>

#include "proxy/core/text.hpp"

namespace mxgate::smtp {

namespace {

constexpr std::size_t max_local_part = 64;   // RFC 5321 §4.5.3.1.1
constexpr std::size_t max_domain = 255;      // RFC 5321 §4.5.3.1.2
constexpr std::size_t max_path = 256;        // RFC 5321 §4.5.3.1.3, incl. "<" ">" and route
constexpr std::size_t max_label = 63;        // RFC 1035 §2.3.4 (ASCII labels only)
constexpr std::size_t max_chunk_digits = 19; // every 19-digit number fits in uint64_t

constexpr bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
constexpr bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
constexpr bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }
constexpr bool is_ascii(unsigned char c) { return c < 0x80; }
constexpr char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// atext (RFC 5322 §3.2.3) = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" /
//                          "+" / "-" / "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
constexpr bool is_atext(unsigned char c) {
    if (is_alnum(c)) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
        return true;
    default:
        return false;
    }
}

// qtextSMTP = %d32-33 / %d35-91 / %d93-126   (RFC 5321 §4.1.2)
constexpr bool is_qtext(unsigned char c) { return c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126); }

// esmtp-value = 1*(%d33-60 / %d62-126)   (RFC 5321 §4.1.2)
constexpr bool is_esmtp_value_char(unsigned char c) { return (c >= 33 && c <= 60) || (c >= 62 && c <= 126); }

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (!is_ascii(c)) return true;
    }
    return false;
}

std::string_view trim_leading_sp(std::string_view s) {
    const auto first = s.find_first_not_of(' ');
    return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

// Length of the well-formed UTF-8 sequence starting at s[i], 0 when there is none
// (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
    const auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
        return k < s.size() && at(k) >= lo && at(k) <= hi;
    };
    const unsigned c = at(i);
    if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (c == 0xE0) return cont(i + 1, 0xA0, 0xBF) && cont(i + 2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
    if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
    if (c == 0xF0) return cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    return 0;
}

// Snum = 1*3DIGIT  ; representing a decimal integer value in the range 0 through 255
// IPv4-address-literal = Snum 3("."  Snum)
bool valid_ipv4(std::string_view s) {
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
        unsigned value = 0;
        std::size_t digits = 0;
        while (i < s.size() && is_digit(s[i]) && digits < 3) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || value > 255) return false;
    }
    return i == s.size();
}

// Counts 1*4HEXDIG groups separated by single ":"; -1 when malformed. Empty -> 0.
int count_hex_groups(std::string_view s) {
    if (s.empty()) return 0;
    int groups = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t digits = 0;
        while (i < s.size() && is_hex(s[i])) {
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 4) return -1;
        ++groups;
        if (i == s.size()) return groups;
        if (s[i] != ':') return -1;
        ++i;
    }
}

// RFC 5321 §4.1.3:
//   IPv6-full   = IPv6-hex 7(":" IPv6-hex)
//   IPv6-comp   = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
//               ; no more than 6 groups in addition to the "::"
//   IPv6v4-full = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
//   IPv6v4-comp = [IPv6-hex *3(":" IPv6-hex)] "::" [IPv6-hex *3(":" IPv6-hex) ":"] IPv4-address-literal
//               ; no more than 4 groups in addition to the "::" and IPv4-address-literal
bool valid_ipv6(std::string_view s) {
    const auto last_colon = s.rfind(':');
    if (last_colon == std::string_view::npos) return false;
    std::string_view hex = s;
    int v4_groups = 0;
    if (s.find('.', last_colon) != std::string_view::npos) {
        if (!valid_ipv4(s.substr(last_colon + 1))) return false;
        v4_groups = 2;
        hex = s.substr(0, last_colon + 1);
        // "a:b:c:d:e:f:" and "a::b:" lose the ":" before the IPv4 part; "a::" keeps its "::".
        if (hex.size() < 2 || hex.substr(hex.size() - 2) != "::") hex.remove_suffix(1);
    }
    const auto gap = hex.find("::");
    if (gap == std::string_view::npos) return count_hex_groups(hex) + v4_groups == 8 && !hex.empty();
    if (hex.find("::", gap + 1) != std::string_view::npos) return false;
    const int left = count_hex_groups(hex.substr(0, gap));
    const int right = count_hex_groups(hex.substr(gap + 2));
    if (left < 0 || right < 0) return false;
    return left + right + v4_groups <= 6;
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]"
// IPv6-address-literal = "IPv6:" IPv6-addr. General-address-literal (a registered
// tag) is refused: none is registered that a gateway could route.
bool valid_address_literal(std::string_view inner) {
    constexpr std::string_view tag = "IPv6:";
    if (inner.size() > tag.size() && core::iequals(inner.substr(0, tag.size()), tag)) {
        return valid_ipv6(inner.substr(tag.size()));
    }
    return valid_ipv4(inner);
}

// Reads RFC 5321 paths at a position in one line. Every method leaves pos_ after
// what it read and returns false on malformed input.
class PathParser {
public:
    explicit PathParser(std::string_view s) : s_(s) {}
    std::size_t pos() const { return pos_; }
    bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
    bool utf8() const { return utf8_; }
    void skip() { ++pos_; }
    void forget_utf8() { utf8_ = false; }

    // Domain = sub-domain *("." sub-domain)
    // sub-domain = Let-dig [Ldh-str] ; RFC 6531 §3.3: sub-domain =/ U-label
    // Let-dig = ALPHA / DIGIT ; Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
    bool domain() {
        while (true) {
            const std::size_t start = pos_;
            bool label_utf8 = false;
            bool last_hyphen = false;
            while (pos_ < s_.size()) {
                const auto c = static_cast<unsigned char>(s_[pos_]);
                if (is_alnum(c)) {
                    last_hyphen = false;
                    ++pos_;
                } else if (c == '-' && pos_ > start) {
                    last_hyphen = true;
                    ++pos_;
                } else if (!is_ascii(c)) {
                    const std::size_t n = utf8_sequence(s_, pos_);
                    if (n == 0) return false;
                    label_utf8 = true;
                    last_hyphen = false;
                    pos_ += n;
                } else {
                    break;
                }
            }
            if (pos_ == start || last_hyphen) return false;
            if (!label_utf8 && pos_ - start > max_label) return false;
            utf8_ = utf8_ || label_utf8;
            if (!at('.')) return true;
            ++pos_;
        }
    }

    // "[" ... "]", pos_ at "["
    bool address_literal() {
        const auto close = s_.find(']', pos_);
        if (close == std::string_view::npos) return false;
        if (!valid_address_literal(s_.substr(pos_ + 1, close - pos_ - 1))) return false;
        pos_ = close + 1;
        return true;
    }

    // Quoted-string = DQUOTE *QcontentSMTP DQUOTE
    // QcontentSMTP = qtextSMTP / quoted-pairSMTP ; quoted-pairSMTP = %d92 %d32-126
    // RFC 6531 §3.3: qtextSMTP =/ UTF8-non-ascii
    bool quoted_string() {
        ++pos_;  // DQUOTE
        while (pos_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c == '\\') {
                if (pos_ + 1 >= s_.size()) return false;
                const auto q = static_cast<unsigned char>(s_[pos_ + 1]);
                if (q < 32 || q > 126) return false;
                pos_ += 2;
            } else if (is_qtext(c)) {
                ++pos_;
            } else if (!is_ascii(c)) {
                if (!take_utf8()) return false;
            } else {
                return false;
            }
        }
        return false;
    }

    // One UTF-8 character of a local-part (RFC 6531 §3.3); false when malformed.
    bool take_utf8() {
        const std::size_t n = utf8_sequence(s_, pos_);
        if (n == 0) return false;
        utf8_ = true;
        pos_ += n;
        return true;
    }

    // Dot-string = Atom *("." Atom) ; Atom = 1*atext ; RFC 6531 §3.3: atext =/ UTF8-non-ascii
    bool dot_string() {
        while (true) {
            const std::size_t start = pos_;
            while (pos_ < s_.size()) {
                const auto c = static_cast<unsigned char>(s_[pos_]);
                if (is_atext(c)) {
                    ++pos_;
                } else if (!is_ascii(c)) {
                    if (!take_utf8()) return false;
                } else {
                    break;
                }
            }
            if (pos_ == start) return false;
            if (!at('.')) return true;
            ++pos_;
        }
    }

    // A-d-l = At-domain *( "," At-domain ) ; At-domain = "@" Domain   (then ":")
    bool source_route() {
        while (true) {
            if (!at('@')) return false;
            ++pos_;
            if (!domain()) return false;
            if (at(':')) {
                ++pos_;
                return true;
            }
            if (!at(',')) return false;
            ++pos_;
        }
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
    bool utf8_ = false;
};

struct PathResult {
    bool ok = false;
    core::Address address;
    std::size_t length = 0;  // bytes of the path, "<" through ">"
};

// Path = "<" [ A-d-l ":" ] Mailbox ">"
// Reverse-path = Path / "<>"   (MAIL)
// "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
// `s` starts with "<".
PathResult parse_path(std::string_view s, bool reverse) {
    PathResult result;
    PathParser p(s.substr(1));
    if (p.at('>')) {
        // The null reverse-path (RFC 5321 §4.5.5) only for MAIL.
        result.ok = reverse;
        result.length = 2;
        return result;
    }
    // RFC 5321 §4.1.2 and Appendix C: a source route must be accepted, then ignored.
    if (p.at('@') && !p.source_route()) return result;
    const bool routed = p.pos() > 0;
    p.forget_utf8();  // only what is kept decides Address::utf8

    const std::size_t local_start = p.pos();
    if (p.at('"') ? !p.quoted_string() : !p.dot_string()) return result;
    const std::size_t local_end = p.pos();
    const std::string_view local = s.substr(1 + local_start, local_end - local_start);

    if (p.at('>')) {
        // RFC 5321 §4.5.1: "Postmaster" without a domain, only as a recipient.
        if (reverse || routed || !core::iequals(local, "Postmaster")) return result;
        result.ok = true;
        result.address.local = std::string(local);
        result.length = 1 + p.pos() + 1;
        return result;
    }
    if (!p.at('@')) return result;
    p.skip();
    const std::size_t domain_start = p.pos();
    if (p.at('[') ? !p.address_literal() : !p.domain()) return result;
    const std::size_t domain_end = p.pos();
    if (!p.at('>')) return result;

    result.length = 1 + p.pos() + 1;
    if (local.size() > max_local_part || domain_end - domain_start > max_domain || result.length > max_path) {
        return result;
    }
    result.ok = true;
    result.address.local = std::string(local);
    result.address.domain = std::string(s.substr(1 + domain_start, domain_end - domain_start));
    result.address.utf8 = p.utf8();
    return result;
}

struct VerbName {
    std::string_view name;
    Verb verb;
};

constexpr std::array<VerbName, 14> verb_table{{
    {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
    {"QUIT", Verb::quit}, {"HELP", Verb::help}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn},
    {"STARTTLS", Verb::starttls}, {"XCLIENT", Verb::xclient},
}};

// Splits on runs of SP; `s` has no leading or trailing SP.
std::vector<std::string_view> split_sp(std::string_view s) {
    std::vector<std::string_view> tokens;
    while (!s.empty()) {
        const auto sp = s.find(' ');
        tokens.push_back(s.substr(0, sp));
        if (sp == std::string_view::npos) break;
        s = trim_leading_sp(s.substr(sp));
    }
    return tokens;
}

// Mail-parameters = esmtp-param *(SP esmtp-param)
// esmtp-param     = esmtp-keyword ["=" esmtp-value]
// esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
// esmtp-value     = 1*(%d33-60 / %d62-126)
std::optional<CommandError> parse_params(std::string_view s, std::vector<EsmtpParam>& params) {
    if (has_non_ascii(s)) return CommandError::bad_character;
    for (const std::string_view token : split_sp(s)) {
        const auto eq = token.find('=');
        const std::string_view keyword = token.substr(0, eq);
        if (keyword.empty() || !is_alnum(static_cast<unsigned char>(keyword[0]))) return CommandError::bad_parameter;
        for (unsigned char c : keyword) {
            if (!is_alnum(c) && c != '-') return CommandError::bad_parameter;
        }
        std::string value;
        if (eq != std::string_view::npos) {
            const std::string_view v = token.substr(eq + 1);
            if (v.empty()) return CommandError::bad_parameter;
            for (unsigned char c : v) {
                if (!is_esmtp_value_char(c)) return CommandError::bad_parameter;
            }
            value = std::string(v);
        }
        std::string upper(keyword);
        for (char& c : upper) c = to_upper(c);
        if (find_param(params, upper) != nullptr) return CommandError::bad_parameter;
        params.emplace_back(std::move(upper), std::move(value));
    }
    return std::nullopt;
}

// "MAIL FROM:" Reverse-path [SP Mail-parameters]
// "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]
ParseResult parse_mail_rcpt(Command cmd, std::string_view rest) {
    const std::string_view prefix = cmd.verb == Verb::mail ? "FROM:" : "TO:";
    const std::string_view head = rest.substr(0, prefix.size());
    if (has_non_ascii(head)) return CommandError::bad_character;
    if (!core::iequals(head, prefix)) return CommandError::syntax;
    std::string_view path = rest.substr(prefix.size());
    // Postfix accepts "MAIL FROM: <a@b>"; so do many clients' authors. One SP only.
    if (!path.empty() && path[0] == ' ') path.remove_prefix(1);
    if (path.empty()) return CommandError::syntax;
    if (path[0] != '<') return has_non_ascii(path.substr(0, 1)) ? CommandError::bad_character : CommandError::bad_address;

    PathResult parsed = parse_path(path, cmd.verb == Verb::mail);
    if (!parsed.ok) return CommandError::bad_address;
    cmd.address = std::move(parsed.address);

    const std::string_view tail = path.substr(parsed.length);
    if (!tail.empty()) {
        if (tail[0] != ' ') return has_non_ascii(tail) ? CommandError::bad_character : CommandError::syntax;
        if (auto error = parse_params(trim_leading_sp(tail), cmd.params)) return *error;
    }
    return cmd;
}

// Postfix XCLIENT_README:
//   xclient-command = XCLIENT 1*( SP attribute-name"="attribute-value )
//   attribute-name  = ( NAME | ADDR | PORT | PROTO | HELO | LOGIN | DESTADDR | ... )
//   attribute-value = xtext
// Only the shape is checked here: which names we support and what the values
// mean is decode_xclient's job (xclient.hpp), after the session checked that the
// client may send XCLIENT at all. Names are upper-cased, values kept as xtext.
ParseResult parse_xclient(Command cmd, std::string_view arg) {
    if (arg.empty()) return CommandError::syntax;
    for (const std::string_view token : split_sp(arg)) {
        const auto eq = token.find('=');
        if (eq == 0 || eq == std::string_view::npos || eq + 1 == token.size()) return CommandError::syntax;
        std::string name(token.substr(0, eq));
        for (char& c : name) {
            if (!is_alpha(static_cast<unsigned char>(c)) && c != '_') return CommandError::syntax;
            c = to_upper(c);
        }
        cmd.params.emplace_back(std::move(name), std::string(token.substr(eq + 1)));
    }
    return cmd;
}

// "BDAT" SP chunk-size [ SP end-marker ] ; chunk-size = 1*DIGIT ; end-marker = "LAST"
ParseResult parse_bdat(Command cmd, std::string_view rest) {
    const auto tokens = split_sp(rest);
    if (tokens.empty() || tokens.size() > 2) return CommandError::syntax;
    const std::string_view size = tokens[0];
    if (size.size() > max_chunk_digits) return CommandError::syntax;
    std::uint64_t value = 0;
    for (unsigned char c : size) {
        if (!is_digit(c)) return CommandError::syntax;
        value = value * 10 + (c - '0');
    }
    if (tokens.size() == 2) {
        if (!core::iequals(tokens[1], "LAST")) return CommandError::syntax;
        cmd.last_chunk = true;
    }
    cmd.chunk_size = value;
    return cmd;
}

}  // namespace

ParseResult parse_command(std::string_view line) {
    // RFC 5321 §4.1.1: commands are ASCII. NUL, TAB and the other controls
    // (including a CR inside the line) are refused before anything else.
    for (unsigned char c : line) {
        if (c < 0x20 || c == 0x7F) return CommandError::bad_character;
    }
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);

    const auto sp = line.find(' ');
    const std::string_view word = line.substr(0, sp);
    // What follows "VERB SP"; leading SP runs are dropped per verb below.
    const std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    if (has_non_ascii(word)) return CommandError::bad_character;
    if (word.empty()) return CommandError::unrecognized;
    for (unsigned char c : word) {
        if (!is_alpha(c)) return CommandError::unrecognized;
    }

    Command cmd;
    cmd.verb = Verb::unknown;
    for (const auto& entry : verb_table) {
        if (core::iequals(word, entry.name)) {
            cmd.verb = entry.verb;
            break;
        }
    }
    // Non-ASCII is acceptable only inside a MAIL/RCPT path (RFC 6531).
    if (cmd.verb != Verb::mail && cmd.verb != Verb::rcpt && has_non_ascii(rest)) {
        return CommandError::bad_character;
    }
    const std::string_view arg = trim_leading_sp(rest);

    switch (cmd.verb) {
    case Verb::helo:
    case Verb::ehlo:
        // "EHLO" SP ( Domain / address-literal ): exactly one token, syntax left to policy.
        if (arg.empty() || arg.find(' ') != std::string_view::npos) return CommandError::syntax;
        cmd.argument = std::string(arg);
        return cmd;
    case Verb::mail:
    case Verb::rcpt:
        cmd.argument = std::string(rest);
        return parse_mail_rcpt(std::move(cmd), rest);
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
        if (!arg.empty()) return CommandError::syntax;
        return cmd;
    case Verb::noop:
    case Verb::help:
    case Verb::vrfy:
    case Verb::expn:
        cmd.argument = std::string(arg);
        return cmd;
    case Verb::bdat:
        cmd.argument = std::string(arg);
        return parse_bdat(std::move(cmd), arg);
    case Verb::xclient:
        cmd.argument = std::string(arg);
        return parse_xclient(std::move(cmd), arg);
    case Verb::unknown:
        cmd.argument = std::string(arg);
        return cmd;
    }
    return CommandError::unrecognized;
}

const EsmtpParam* find_param(const std::vector<EsmtpParam>& params, std::string_view keyword) {
    for (const auto& param : params) {
        if (core::iequals(param.first, keyword)) return &param;
    }
    return nullptr;
}

// xtext   = *( xchar / hexchar )
// xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except for "+" and "="
// hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits   (RFC 3461 §4)
std::optional<std::string> decode_xtext(std::string_view xtext) {
    const auto hex_value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(xtext.size());
    for (std::size_t i = 0; i < xtext.size(); ++i) {
        const auto c = static_cast<unsigned char>(xtext[i]);
        if (c == '+') {
            if (i + 2 >= xtext.size()) return std::nullopt;
            const int hi = hex_value(xtext[i + 1]);
            const int lo = hex_value(xtext[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c >= 33 && c <= 126 && c != '=') {
            out.push_back(static_cast<char>(c));
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace mxgate::smtp
