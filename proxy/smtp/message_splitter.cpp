#include "proxy/smtp/message_splitter.hpp"

namespace mxgate::smtp {

void MessageSplitter::feed(std::string_view stuffed) {
    if (in_body_) {
        body(stuffed);
        return;
    }
    for (std::size_t i = 0; i < stuffed.size(); ++i) {
        const char c = stuffed[i];
        const bool transparency_dot = at_line_start_ && c == '.';
        at_line_start_ = c == '\n';
        if (!transparency_dot) {
            // A line longer than a unit may be is not kept whole: only its length matters then.
            if (line_.size() <= max_field_size_) line_ += c;
            else line_too_big_ = true;
        }
        if (c != '\n') continue;
        line(line_);
        line_.clear();
        line_too_big_ = false;
        if (in_body_) {  // the rest of this chunk is body
            feed(stuffed.substr(i + 1));
            return;
        }
    }
}

// The body is handed on as views of the input, cut only around transparency
// dots: copying it byte by byte cost a tenth of a content-filtered message's CPU.
void MessageSplitter::body(std::string_view stuffed) {
    if (stuffed.empty()) return;
    std::size_t start = at_line_start_ && stuffed.front() == '.' ? 1 : 0;  // first byte not yet handed on
    for (std::size_t newline = stuffed.find('\n'); newline != std::string_view::npos;
         newline = stuffed.find('\n', newline + 1)) {
        const std::size_t next_line = newline + 1;
        if (next_line < stuffed.size() && stuffed[next_line] == '.') {
            sink_.body(stuffed.substr(start, next_line - start));
            start = next_line + 1;
        }
    }
    at_line_start_ = stuffed.back() == '\n';
    if (start < stuffed.size()) sink_.body(stuffed.substr(start));
}

void MessageSplitter::line(std::string_view text) {
    if (text == "\r\n") {  // the empty line: the header section ends
        flush_unit();
        in_body_ = true;
        sink_.end_of_header();
        return;
    }
    const bool continuation = text.front() == ' ' || text.front() == '\t';
    if (!continuation) flush_unit();
    if (line_too_big_ || unit_.size() + text.size() > max_field_size_) unit_too_big_ = true;
    if (!unit_too_big_) unit_.append(text);
}

void MessageSplitter::flush_unit() {
    if (unit_too_big_) ++dropped_fields_;
    else if (!unit_.empty()) sink_.header_field(unit_);
    unit_.clear();
    unit_too_big_ = false;
}

void MessageSplitter::finish() {
    if (in_body_) return;
    if (!line_.empty()) line(line_);
    line_.clear();
    line_too_big_ = false;
    flush_unit();
    in_body_ = true;
    sink_.end_of_header();
}

}  // namespace mxgate::smtp
