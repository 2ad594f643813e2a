// Removes whole header fields chosen by a predicate from the header section of
// message content as it streams to the backend (RFC 5322 §2.2: a field is its
// first line plus continuation lines starting with SP or HTAB). Pure and
// incremental: chunks may split lines, CRLFs and field names anywhere.
//
// Used to remove forged Authentication-Results fields that claim our own
// authserv-id (RFC 8601 §5). Never buffers the message: body bytes and fields
// that are not candidates pass through at once; only a candidate field is held
// until its end is seen, and never more than `max_field_size` of it. Never
// rewrites what it cannot parse: the first line that is not a field ends the
// header section and everything from there on passes through. No errors, no
// exceptions: every input gives output.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace mxgate::smtp {

// Input is what the session forwards: dot-stuffed, CRLF-only content without the
// terminating CRLF "." CRLF. Removing whole lines keeps the stuffing valid.
//
//   field      = field-name *WSP ":" ...   (RFC 5322 §3.6.8; *WSP is §4.5.8 obs syntax)
//   field-name = 1*ftext, ftext = %d33-57 / %d59-126
//
// The header section ends at the first empty line (CRLF at a line start), at a
// line that is not a field, or at a first line starting with SP/HTAB.
class HeaderFieldFilter {
public:
    // `candidate`: the field name to hold ("authentication-results"), compared
    // ASCII case-insensitively; fields with another name are never held.
    // `drop(field)`: called with one whole candidate field (name, colon, value,
    // folded lines, final CRLF); true removes it. An empty function keeps all.
    // A candidate field longer than `max_field_size` is removed without asking
    // `drop`: a field that large is hostile, and dropping it is always safe.
    HeaderFieldFilter(std::string candidate, std::function<bool(std::string_view field)> drop,
                      std::size_t max_field_size);

    // Appends to `out` what may be sent now (possibly nothing).
    void feed(std::string_view in, std::string& out);
    // End of content: decides a held candidate field (even without its final
    // CRLF) and emits anything else held. Afterwards feed() passes bytes through.
    void finish(std::string& out);

    // The header section has ended and nothing is held: feed() would append its
    // input unchanged, so the caller may send body chunks directly, without a copy.
    bool in_body() const { return state_ == State::body; }
    std::size_t removed() const { return removed_; }      // fields dropped so far
    std::size_t held_bytes() const { return held_.size(); }  // held back now; <= max(max_field_size, candidate size)

private:
    enum class State {
        line_start,  // at the first byte of a header line: field, continuation or end of header?
        field_name,  // reading a field name up to its colon
        line_rest,   // the rest of a field line, up to and including its LF
        body,        // after the header section: everything passes through
    };
    enum class Field {
        none,       // no field yet (only at the very start)
        passing,    // a field that is not a candidate: its bytes go out at once
        held,       // a candidate field, collected in held_
        discarded,  // an oversized candidate field: its bytes vanish
    };

    std::size_t at_line_start(std::string_view in, std::size_t i, std::string& out);
    std::size_t read_field_name(std::string_view in, std::size_t i, std::string& out);
    std::size_t read_line_rest(std::string_view in, std::size_t i, std::string& out);
    void settle_field(std::string& out);
    void discard_oversized_field();
    void emit_held(std::string& out);

    std::string candidate_;
    std::function<bool(std::string_view)> drop_;
    std::size_t max_field_size_;

    State state_ = State::line_start;
    Field field_ = Field::none;
    // The held candidate field, or, while reading a name, the line's prefix as
    // long as it may still turn out to be the candidate name.
    std::string held_;
    std::size_t name_length_ = 0;     // field-name bytes seen on this line
    bool name_may_match_ = false;     // those bytes equal the start of candidate_
    bool after_name_space_ = false;   // SP/HTAB seen after the name (obs syntax)
    std::size_t removed_ = 0;
};

}  // namespace mxgate::smtp
