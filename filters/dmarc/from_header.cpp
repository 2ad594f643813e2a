#include "filters/dmarc/from_header.hpp"

#include "proxy/core/text.hpp"

namespace mxgate::filters::dmarc {

namespace {

// RFC 5322 §3.2.3 atext, with RFC 6532's UTF-8 octets.
bool is_atext(unsigned char c) {
    if (c >= 0x80) return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// atom, quoted-string and domain-literal carry text; the specials that matter
// to an address carry only their character.
struct Token {
    enum Kind : unsigned char { atom, quoted, literal, special, end } kind = end;
    std::string text;  // atom/quoted/literal text; the character for special
    bool is(char c) const { return kind == special && text[0] == c; }
    bool word() const { return kind == atom || kind == quoted; }
};

class Tokenizer {
public:
    explicit Tokenizer(std::string_view s) : s_(s) {}

    // All tokens, ending with an `end` one; false (and error()) when malformed.
    bool run(std::vector<Token>& out) {
        for (;;) {
            if (!skip_cfws()) return false;
            if (i_ == s_.size()) {
                out.push_back(Token{Token::end, {}});
                return true;
            }
            const char c = s_[i_];
            if (c == '"') {
                if (!quoted_string(out)) return false;
            } else if (c == '[') {
                if (!domain_literal(out)) return false;
            } else if (std::string_view("<>:;@,.").find(c) != std::string_view::npos) {
                out.push_back(Token{Token::special, std::string(1, c)});
                ++i_;
            } else if (is_atext(static_cast<unsigned char>(c))) {
                std::size_t j = i_;
                while (j < s_.size() && is_atext(static_cast<unsigned char>(s_[j]))) ++j;
                out.push_back(Token{Token::atom, std::string(s_.substr(i_, j - i_))});
                i_ = j;
            } else {
                return fail("unexpected character");
            }
        }
    }
    const std::string& error() const { return error_; }

private:
    bool fail(std::string why) {
        error_ = std::move(why);
        return false;
    }

    // FWS and comments, nested (RFC 5322 §3.2.2), with quoted-pairs inside.
    bool skip_cfws() {
        while (i_ < s_.size()) {
            if (is_fws(s_[i_])) {
                ++i_;
            } else if (s_[i_] == '(') {
                int depth = 0;
                for (; i_ < s_.size(); ++i_) {
                    if (s_[i_] == '\\') {
                        ++i_;
                    } else if (s_[i_] == '(') {
                        ++depth;
                    } else if (s_[i_] == ')' && --depth == 0) {
                        break;
                    }
                }
                if (i_ >= s_.size()) return fail("unterminated comment");
                ++i_;
            } else {
                break;
            }
        }
        return true;
    }

    // Text up to the unescaped `close`, quoted-pairs resolved; i_ at the opening character.
    bool delimited(char close, std::string& text, bool keep_escapes) {
        for (++i_; i_ < s_.size(); ++i_) {
            const char c = s_[i_];
            if (c == close) {
                ++i_;
                return true;
            }
            if (c == '\\') {
                if (++i_ == s_.size()) break;
                if (s_[i_] == '\r' || s_[i_] == '\n') continue;  // obs-qp of CR/LF: folding, not text
                if (keep_escapes) text += '\\';
                text += s_[i_];
            } else if (c == '\r' || c == '\n') {
                continue;  // folding inside a quoted string or literal (RFC 5322 §3.2.4)
            } else if (close == ']' && c == '[') {
                return fail("'[' inside a domain literal");
            } else {
                text += c;
            }
        }
        return fail(close == '"' ? "unterminated quoted string" : "unterminated domain literal");
    }

    bool quoted_string(std::vector<Token>& out) {
        Token token{Token::quoted, {}};
        if (!delimited('"', token.text, false)) return false;
        out.push_back(std::move(token));
        return true;
    }

    bool domain_literal(std::vector<Token>& out) {
        Token token{Token::literal, "["};
        if (!delimited(']', token.text, true)) return false;
        token.text += ']';
        out.push_back(std::move(token));
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::string error_;
};

// mailbox-list / address-list over the tokens (RFC 5322 §3.4, §4.4; RFC 6854).
class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    ParsedFrom run() {
        bool any_address = false;
        for (;;) {
            while (peek().is(',')) ++at_;  // obs-mbox-list: empty elements
            if (peek().kind == Token::end) break;
            if (!address(true)) return fail(std::move(out_.error));
            any_address = true;
            if (peek().kind == Token::end) break;
            if (!peek().is(',')) return fail("expected ',' between addresses");
        }
        if (!any_address) return fail("no address");
        return std::move(out_);
    }

private:
    const Token& peek() const { return tokens_[at_]; }
    const Token& next() { return tokens_[at_ == tokens_.size() - 1 ? at_ : at_++]; }
    ParsedFrom fail(std::string why) { return ParsedFrom{{}, std::move(why)}; }
    bool failed(std::string why) {
        out_.error = std::move(why);
        return false;
    }

    // Words and dots up to the next other token: a display name or a local part.
    std::vector<const Token*> phrase() {
        std::vector<const Token*> words;
        while (peek().word() || peek().is('.')) words.push_back(&next());
        return words;
    }

    // obs-local-part: word *("." word), words with CFWS around the dots.
    bool local_part(const std::vector<const Token*>& words, std::string& text) {
        for (std::size_t k = 0; k < words.size(); ++k) {
            if (words[k]->word() != (k % 2 == 0)) return failed("malformed local part");
            text += words[k]->word() ? words[k]->text : ".";
        }
        if (words.empty() || words.size() % 2 == 0) return failed("malformed local part");
        return true;
    }

    // domain = dot-atom / domain-literal / obs-domain.
    bool domain(Mailbox& mailbox) {
        if (peek().kind == Token::literal) {
            mailbox.domain = next().text;
            mailbox.domain_literal = true;
            return true;
        }
        for (;;) {
            if (peek().kind != Token::atom) return failed("malformed domain");
            mailbox.domain += core::ascii_lower(next().text);
            if (!peek().is('.')) return true;
            mailbox.domain += next().text;
        }
    }

    bool addr_spec(const std::vector<const Token*>& local) {
        Mailbox mailbox;
        if (!local_part(local, mailbox.local_part)) return false;
        next();  // '@'
        if (!domain(mailbox)) return false;
        out_.mailboxes.push_back(std::move(mailbox));
        return true;
    }

    // angle-addr, with obs-route: "<@a.example,@b.example:user@c.example>".
    bool angle_addr() {
        next();  // '<'
        if (peek().is('@')) {
            for (;;) {
                while (peek().is(',')) next();
                if (!peek().is('@')) break;
                next();
                Mailbox ignored;
                if (!domain(ignored)) return false;
            }
            if (!peek().is(':')) return failed("malformed route");
            next();
        }
        const std::vector<const Token*> local = phrase();
        if (!peek().is('@')) return failed("no '@' in angle address");
        if (!addr_spec(local)) return false;
        if (!peek().is('>')) return failed("expected '>'");
        next();
        return true;
    }

    // address = mailbox / group; a group's members are mailboxes (no nesting).
    bool address(bool group_allowed) {
        const std::vector<const Token*> words = phrase();
        if (peek().is('@')) return addr_spec(words);
        if (peek().is('<')) return angle_addr();
        if (peek().is(':') && group_allowed && !words.empty()) {
            next();
            for (;;) {
                while (peek().is(',')) next();
                if (peek().is(';')) break;
                if (!address(false)) return false;
                if (!peek().is(',') && !peek().is(';')) return failed("expected ',' or ';' in a group");
            }
            next();  // ';'
            return true;
        }
        return failed("expected an address");
    }

    std::vector<Token> tokens_;
    std::size_t at_ = 0;
    ParsedFrom out_;
};

}  // namespace

bool is_from_field(std::string_view field) {
    if (field.size() < 5 || !core::iequals(field.substr(0, 4), "from")) return false;
    std::size_t i = 4;
    while (i < field.size() && (field[i] == ' ' || field[i] == '\t')) ++i;
    return i < field.size() && field[i] == ':';
}

std::string_view field_value(std::string_view field) {
    const std::size_t colon = field.find(':');
    return colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
}

ParsedFrom parse_from(std::string_view value) {
    std::vector<Token> tokens;
    Tokenizer tokenizer(value);
    if (!tokenizer.run(tokens)) return ParsedFrom{{}, tokenizer.error()};
    return Parser(std::move(tokens)).run();
}

}  // namespace mxgate::filters::dmarc
