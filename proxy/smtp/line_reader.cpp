// Command line splitting: see line_reader.hpp. RFC 5321 §2.3.8 (lines end in CRLF),
// §4.5.3.1.4 (command line length), Postfix smtpd_forbid_bare_newline.
#include "proxy/smtp/line_reader.hpp"

#include <cstring>

namespace mxgate::smtp {

namespace {

LineEvent event(LineEvent::Kind kind, std::size_t consumed) {
    LineEvent ev;
    ev.kind = kind;
    ev.consumed = consumed;
    return ev;
}

}  // namespace

LineEvent LineReader::next(std::string_view input) {
    const void* found = input.empty() ? nullptr : std::memchr(input.data(), '\n', input.size());

    if (discarding_) {
        // Drop everything up to and including the LF that ends the long line.
        if (found == nullptr) return event(LineEvent::Kind::need_more, input.size());
        discarding_ = false;
        const auto lf = static_cast<std::size_t>(static_cast<const char*>(found) - input.data());
        return event(LineEvent::Kind::too_long, lf + 1);
    }

    if (found == nullptr) {
        // No line end yet. The line is already too long when it has more than
        // max_length_ bytes, unless the extra byte is a CR that may be the
        // start of the CRLF right after a line of exactly max_length_ bytes.
        const std::size_t n = input.size();
        if (n > max_length_ && (n - max_length_ > 1 || input.back() != '\r')) {
            discarding_ = true;
            return event(LineEvent::Kind::need_more, n);
        }
        return event(LineEvent::Kind::need_more, 0);
    }

    const auto lf = static_cast<std::size_t>(static_cast<const char*>(found) - input.data());
    const bool crlf = lf > 0 && input[lf - 1] == '\r';
    const std::size_t text_length = crlf ? lf - 1 : lf;
    // Length first: a long line ending in a bare LF is reported as too_long, the
    // same result as when it arrives in pieces and is discarded before its LF.
    if (text_length > max_length_) return event(LineEvent::Kind::too_long, lf + 1);
    if (!crlf) return event(LineEvent::Kind::bare_lf, lf + 1);

    LineEvent ev = event(LineEvent::Kind::line, lf + 1);
    ev.text = input.substr(0, text_length);
    return ev;
}

}  // namespace mxgate::smtp
