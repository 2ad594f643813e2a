// Message content checks: see data_reader.hpp. RFC 5321 §4.1.1.4 (end of data),
// §4.5.2 (transparency), §4.5.3.1.6 (text line length); RFC 3030 (BDAT).
//
// The hot loops look for LF with memchr, then at most once per line for a CR that
// is not part of the CRLF, so clean text costs two library scans per line and no
// per-byte branches. Line lengths are only added up when a limit is set.
#include "proxy/smtp/data_reader.hpp"

#include <cstring>

namespace mxgate::smtp {

namespace {

// Index of the first `c` in s[from, to), or `to` when absent.
std::size_t find_byte(const char* s, std::size_t from, std::size_t to, char c) {
    if (from >= to) return to;
    const void* hit = std::memchr(s + from, c, to - from);
    return hit == nullptr ? to : static_cast<std::size_t>(static_cast<const char*>(hit) - s);
}

bool contains_cr(const char* s, std::size_t from, std::size_t to) { return find_byte(s, from, to, '\r') != to; }

}  // namespace

DataChunk DataReader::feed(std::string_view input) {
    DataChunk result;
    const char* const p = input.data();
    const std::size_t n = input.size();
    std::size_t i = 0;
    std::size_t content_end = 0;  // end of the content bytes consumed by this call

    // Account for `length` consumed content bytes; `line_ends` when they finish a CRLF line.
    const auto account = [&](std::size_t length, bool line_ends) {
        size_ += length;
        if (limits_.max_message_size != 0 && size_ > limits_.max_message_size) too_big_ = true;
        if (limits_.max_text_line_length != 0) {
            line_length_ += length;
            if (line_length_ > limits_.max_text_line_length) line_too_long_ = true;
            if (line_ends) line_length_ = 0;
        }
    };

    while (i < n) {
        if (at_line_start_ && p[i] == '.') {
            // "." CRLF at a line start ends the data; anything else after the dot
            // is a stuffed or ordinary line. Hold back what cannot be decided yet.
            if (n - i < 2) break;
            if (p[i + 1] == '\r') {
                if (n - i < 3) break;
                if (p[i + 2] == '\n') {
                    result.done = true;
                    content_end = i;
                    i += 3;
                    break;
                }
            }
        }

        const std::size_t lf = find_byte(p, i, n, '\n');
        if (lf == n) {
            // No line end in sight. A final CR may be half of a CRLF: keep it.
            const std::size_t stop = p[n - 1] == '\r' ? n - 1 : n;
            if (stop == i) break;
            if (!bare_line_ending_ && contains_cr(p, i, stop)) bare_line_ending_ = true;
            account(stop - i, false);
            at_line_start_ = false;
            i = stop;
            content_end = i;
            break;
        }

        // Only CR LF ends a line. A bare LF, or a CR anywhere else in the line,
        // does not, so the line goes on and no "." after it can end the data.
        const bool crlf = lf > i && p[lf - 1] == '\r';
        if (!bare_line_ending_ && (!crlf || contains_cr(p, i, lf - 1))) bare_line_ending_ = true;
        account(lf + 1 - i, crlf);
        at_line_start_ = crlf;
        i = lf + 1;
        content_end = i;
    }

    result.consumed = i;
    // After any finding the backend transaction is abandoned: forward nothing more.
    if (clean()) result.forward = input.substr(0, content_end);
    return result;
}

void ChunkStuffer::stuff(std::string_view chunk, std::string& out) {
    if (chunk.empty()) return;
    const char* const p = chunk.data();
    const std::size_t n = chunk.size();
    std::size_t i = 0;

    size_ += n;
    if (limits_.max_message_size != 0 && size_ > limits_.max_message_size) too_big_ = true;

    const auto count_line = [&](std::size_t length) {
        if (limits_.max_text_line_length == 0) return;
        line_length_ += length;
        if (line_length_ > limits_.max_text_line_length) line_too_long_ = true;
    };

    if (pending_cr_) {
        // The previous chunk ended in CR (already counted in line_length_).
        pending_cr_ = false;
        if (p[0] == '\n') {
            count_line(1);
            if (clean()) out += "\r\n";
            line_length_ = 0;
            at_line_start_ = true;
            i = 1;
        } else {
            bare_line_ending_ = true;
            at_line_start_ = false;
        }
    }

    while (i < n) {
        // RFC 5321 §4.5.2: a line that starts with "." gets one more.
        const bool stuff_dot = at_line_start_ && p[i] == '.';
        const std::size_t lf = find_byte(p, i, n, '\n');
        if (lf == n) {
            const std::size_t stop = p[n - 1] == '\r' ? n - 1 : n;
            pending_cr_ = stop != n;
            if (!bare_line_ending_ && contains_cr(p, i, stop)) bare_line_ending_ = true;
            count_line(n - i);
            if (clean()) {
                if (stuff_dot) out += '.';
                out.append(p + i, stop - i);
            }
            at_line_start_ = false;
            return;
        }
        const bool crlf = lf > i && p[lf - 1] == '\r';
        if (!bare_line_ending_ && (!crlf || contains_cr(p, i, lf - 1))) bare_line_ending_ = true;
        count_line(lf + 1 - i);
        if (clean()) {
            if (stuff_dot) out += '.';
            out.append(p + i, lf + 1 - i);
        }
        if (crlf) line_length_ = 0;
        at_line_start_ = crlf;
        i = lf + 1;
    }
}

void ChunkStuffer::finish(std::string& out) {
    if (pending_cr_) {
        pending_cr_ = false;
        bare_line_ending_ = true;
    }
    // RFC 3030 §2: the content should end in CRLF; the DATA form we forward must.
    // at_line_start_ is false exactly when content was sent and did not end in CRLF.
    if (!at_line_start_ && clean()) {
        if (limits_.max_text_line_length != 0 && line_length_ + 2 > limits_.max_text_line_length) {
            line_too_long_ = true;
        } else {
            out += "\r\n";
        }
    }
    at_line_start_ = true;
    line_length_ = 0;
}

void UnstuffToLf::transform(std::string_view in, std::string& out) {
    const char* const p = in.data();
    const std::size_t n = in.size();
    std::size_t i = 0;
    if (n == 0) return;

    if (pending_cr_) {
        pending_cr_ = false;
        if (p[0] == '\n') {
            out += '\n';
            at_line_start_ = true;
            i = 1;
        } else {
            out += '\r';  // cannot happen with checked input; copied, not dropped
            at_line_start_ = false;
        }
    }

    while (i < n) {
        if (at_line_start_) {
            at_line_start_ = false;
            if (p[i] == '.') {  // transparency dot (RFC 5321 §4.5.2)
                ++i;
                continue;
            }
        }
        const std::size_t cr = find_byte(p, i, n, '\r');
        out.append(p + i, cr - i);
        if (cr == n) return;
        if (cr + 1 == n) {
            pending_cr_ = true;
            return;
        }
        if (p[cr + 1] == '\n') {
            out += '\n';
            at_line_start_ = true;
            i = cr + 2;
        } else {
            out += '\r';
            i = cr + 1;
        }
    }
}

}  // namespace mxgate::smtp
