// Splits message content into what content filters read (issue 11): header
// fields whole, the end of the header section, then body bytes. Pure and
// incremental: chunks may split lines and CRLFs anywhere.
//
// The input is what the session forwards: dot-stuffed, CRLF-only content
// without the terminating CRLF "." CRLF. The sink gets it unstuffed (a line's
// first dot is transparency, RFC 5321 §4.5.2), so DATA and BDAT give a filter
// the same bytes. The header section is read as HeaderFieldFilter reads it: a
// unit is a line not starting with SP/HTAB plus its continuation lines (RFC 5322
// §2.2), and only the first empty line ends the section; a line that is not a
// field is still a unit (a filter that parses fields refuses it).
//
// A unit longer than `max_field_size` is hostile: it is not handed to the sink
// (counted in dropped_fields()); the rest of the message is read as usual.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mxgate::smtp {

class MessageSink {
public:
    virtual ~MessageSink() = default;
    virtual void header_field(std::string_view field) = 0;  // "Name: value\r\n" with its folded lines
    virtual void end_of_header() = 0;
    virtual void body(std::string_view chunk) = 0;
};

class MessageSplitter {
public:
    MessageSplitter(MessageSink& sink, std::size_t max_field_size) : sink_(sink), max_field_size_(max_field_size) {}

    void feed(std::string_view stuffed);
    // The content ended: a held unit is delivered (even without its final CRLF)
    // and, when the empty line never came, end_of_header().
    void finish();

    std::size_t dropped_fields() const { return dropped_fields_; }

private:
    void body(std::string_view stuffed);
    void line(std::string_view text);  // one whole unstuffed line with its CRLF
    void flush_unit();

    MessageSink& sink_;
    std::size_t max_field_size_;
    bool in_body_ = false;
    bool at_line_start_ = true;
    std::string line_;   // the unstuffed line being read (header section only), cut past max_field_size
    bool line_too_big_ = false;
    std::string unit_;   // the header unit being collected
    bool unit_too_big_ = false;
    std::size_t dropped_fields_ = 0;
};

}  // namespace mxgate::smtp
