// SMTP replies: formatting (RFC 5321 §4.2.1, RFC 2034 §4) and incremental parsing
// of a backend's replies. Pure code; malformed input is a ReplyStatus, never thrown.
#include "proxy/core/reply.hpp"

#include "proxy/core/text.hpp"

#include <algorithm>

namespace mxgate::core {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// status-code = class "." subject "." detail, class = "2"/"4"/"5",
// subject = 1*3digit, detail = 1*3digit (RFC 3463 §2). Returns its length when
// `text` starts with one that is followed by a space or the end of the text.
std::size_t enhanced_code_length(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return 0;
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 4) ++i;
        const std::size_t digits = i - start;
        if (digits == 0 || digits > 3) return 0;
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return 0;
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') return 0;
    return i;
}

}  // namespace

std::string Reply::wire() const {
    const std::string code_text = std::to_string(code);
    std::string out;
    const std::size_t count = std::max<std::size_t>(lines.size(), 1);
    for (std::size_t i = 0; i < count; ++i) {
        out += code_text;
        out += i + 1 < count ? '-' : ' ';
        const std::string_view text = i < lines.size() ? std::string_view(lines[i]) : std::string_view();
        if (!enhanced.empty()) {
            out += enhanced;
            if (!text.empty()) out += ' ';
        }
        out += text;
        if (out.back() == ' ') out.pop_back();  // "250 " with no text: no trailing space
        out += "\r\n";
    }
    return out;
}

std::string Reply::summary(std::size_t max_chars) const {
    std::string raw = std::to_string(code);
    if (!enhanced.empty()) raw += ' ' + enhanced;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        raw += i == 0 ? " " : " / ";
        raw += lines[i];
    }
    return printable(raw, max_chars);
}

Reply make_reply(int code, std::string_view enhanced, std::string_view text) {
    Reply reply;
    reply.code = code;
    reply.enhanced = std::string(enhanced);
    reply.lines.emplace_back(text);
    return reply;
}

// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//              Reply-code [ SP textstring ] CRLF
// Reply-code = %x32-35 %x30-35 %x30-39                       (RFC 5321 §4.2)
// Some servers send "250-" or "250" with no text; both are accepted.
ReplyParse parse_reply(std::string_view input, bool enhanced_codes, std::size_t max_line_length,
                       std::size_t max_lines) {
    ReplyParse result;
    std::size_t pos = 0;
    std::size_t line_count = 0;
    for (;;) {
        const std::string_view rest = input.substr(pos);
        const std::size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) {
            // +1: a CR may be waiting for its LF.
            result.status = rest.size() > max_line_length + 1 ? ReplyStatus::malformed : ReplyStatus::need_more;
            if (result.status == ReplyStatus::malformed) result.reply = Reply{};
            return result;
        }
        std::string_view line = rest.substr(0, lf);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > max_line_length || ++line_count > max_lines) {
            return ReplyParse{ReplyStatus::malformed, 0, {}};
        }
        if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
            !is_digit(line[2]) || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
            return ReplyParse{ReplyStatus::malformed, 0, {}};
        }
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (line_count == 1) {
            result.reply.code = code;
        } else if (code != result.reply.code) {
            return ReplyParse{ReplyStatus::malformed, 0, {}};  // RFC 5321 §4.2.1: one code per reply
        }
        const bool last = line.size() == 3 || line[3] == ' ';
        std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
        if (enhanced_codes) {
            const std::size_t n = enhanced_code_length(text);
            // The class must agree with the reply code (RFC 3463 §3.1); otherwise it is just text.
            if (n > 0 && text[0] - '0' == code / 100) {
                if (line_count == 1) result.reply.enhanced = std::string(text.substr(0, n));
                if (line_count == 1 || result.reply.enhanced == text.substr(0, n)) {
                    text.remove_prefix(n);
                    if (!text.empty()) text.remove_prefix(1);
                }
            }
        }
        result.reply.lines.emplace_back(text);
        pos += lf + 1;
        if (last) {
            result.status = ReplyStatus::complete;
            result.consumed = pos;
            return result;
        }
    }
}

}  // namespace mxgate::core
