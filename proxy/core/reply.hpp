// SMTP replies: the value mxgate sends to clients and reads from backends.
// Formats multi-line replies (RFC 5321 §4.2.1) and parses them incrementally
// from a backend's byte stream. Pure code: no I/O, no Asio.
// Malformed backend input is reported as ReplyStatus::malformed, never thrown.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mxgate::core {

struct Reply {
    int code = 0;                    // 200..599
    std::string enhanced;            // "2.1.0" (RFC 3463), empty when absent
    std::vector<std::string> lines;  // text of each line, without code/enhanced code

    int klass() const { return code / 100; }  // 2, 3, 4 or 5
    bool positive() const { return code >= 200 && code < 400; }
    // "250-a\r\n250 b\r\n", enhanced code repeated on every line (RFC 2034 §4).
    std::string wire() const;
    // One line for logs: "250 2.0.0 ok" with continuation lines joined by " / ",
    // control characters escaped, truncated to max_chars.
    std::string summary(std::size_t max_chars = 200) const;
};

// Convenience for mxgate's own replies: make_reply(250, "2.1.0", "Sender ok").
Reply make_reply(int code, std::string_view enhanced, std::string_view text);

enum class ReplyStatus { complete, need_more, malformed };

struct ReplyParse {
    ReplyStatus status = ReplyStatus::need_more;
    std::size_t consumed = 0;  // bytes of input that belong to the reply (valid when complete)
    Reply reply;
};

// Parses one complete reply at the start of `input` (several replies may be queued
// behind it when the backend pipelines). A line is "ddd" [("-" / " ") text] CRLF;
// a bare LF line ending is accepted from backends. `max_line_length` and
// `max_lines` bound what a hostile backend can make us buffer: exceeding either
// is malformed. Enhanced codes are split off only when `enhanced_codes` is true
// (the backend advertised ENHANCEDSTATUSCODES) and the text starts with one.
ReplyParse parse_reply(std::string_view input, bool enhanced_codes,
                       std::size_t max_line_length = 4096, std::size_t max_lines = 100);

}  // namespace mxgate::core
