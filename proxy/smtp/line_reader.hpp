// Splits a client's command stream into lines. Pure and incremental (Beast style):
// the caller keeps the bytes, the reader says how many it used.
// Only CRLF ends a command line; a bare LF is reported, never accepted as a line
// end, so LF-terminated commands cannot be smuggled (Postfix
// smtpd_forbid_bare_newline). Errors are values (LineEvent::Kind), never thrown.
#pragma once

#include <cstddef>
#include <string_view>

namespace mxgate::smtp {

struct LineEvent {
    enum class Kind {
        line,       // `text` holds a complete line without its CRLF
        need_more,  // no complete line yet: read more and call again with all unused bytes
        too_long,   // a line longer than the limit ended; its bytes were discarded
        bare_lf,    // a line ended with LF not preceded by CR; its bytes were discarded
    };
    Kind kind = Kind::need_more;
    std::string_view text;    // valid only for Kind::line; points into the input
    std::size_t consumed = 0; // bytes of input to drop, for every kind
};

class LineReader {
public:
    // max_length counts the line without CRLF (RFC 5321 §4.5.3.1.4: 512 with CRLF at least).
    explicit LineReader(std::size_t max_length) : max_length_(max_length) {}

    // Looks at the unused bytes `input` (everything not yet consumed).
    // While a too-long line is being discarded it returns need_more with
    // consumed == input.size(), so memory stays bounded whatever the client sends.
    LineEvent next(std::string_view input);

    // True while the reader is inside a line it will discard.
    bool discarding() const { return discarding_; }

private:
    std::size_t max_length_;
    bool discarding_ = false;
};

}  // namespace mxgate::smtp
