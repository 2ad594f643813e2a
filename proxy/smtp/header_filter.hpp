// Removes whole header fields chosen by a predicate from the header section of
// message content as it streams to the backend (RFC 5322 §2.2: a field is its
// first line plus continuation lines starting with SP or HTAB). Pure and
// incremental: chunks may split lines, CRLFs and field names anywhere.
//
// Used to remove forged Authentication-Results fields that claim our own
// authserv-id (RFC 8601 §5). It judges the message as the backend will store it,
// not as it travels: the input is dot-stuffed, and a line's first dot is
// transparency (RFC 5321 §4.5.2), so ".Authentication-Results:" on the wire is
// the field it unstuffs to. Every downstream reading is covered, so no reader
// finds a candidate field the filter let through:
// - the header section ends only at the first empty line; a line that is not a
//   field does not end it (a lenient parser reads on), it only passes unchanged;
// - a candidate name may be folded before its colon ("Name\r\n :"), as a parser
//   that unfolds first would see a field there.
//
// Never buffers the message: body bytes and fields that cannot be candidates pass
// through at once; only a field that is or may still become a candidate is held,
// and never more than `max_field_size` of it. No errors, no exceptions: every
// input gives output.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace mxgate::smtp {

// Input is what the session forwards: dot-stuffed content without the
// terminating CRLF "." CRLF. Removing whole lines keeps the stuffing valid.
//
//   field      = field-name *WSP ":" ...   (RFC 5322 §3.6.8; *WSP is §4.5.8 obs syntax)
//   field-name = 1*ftext, ftext = %d33-57 / %d59-126
//
// A unit is a line that does not start with SP/HTAB (once unstuffed) plus the
// continuation lines after it. A unit is a candidate when its unfolded text
// starts with the candidate name, *WSP and ":".
class HeaderFieldFilter {
public:
    // `candidate`: the field name to hold ("authentication-results"), compared
    // ASCII case-insensitively; an empty one matches nothing.
    // `drop(field)`: called with one whole candidate field, unstuffed (name,
    // colon, value, folded lines, final CRLF); true removes it. An empty
    // function keeps all. A unit that is, or may still become, a candidate and
    // grows past `max_field_size` (counted as it arrives, stuffing dots and line
    // ends included) is removed without asking `drop`: a field that large is
    // hostile, and dropping it is always safe.
    HeaderFieldFilter(std::string candidate, std::function<bool(std::string_view field)> drop,
                      std::size_t max_field_size);

    // Appends to `out` what may be sent now (possibly nothing).
    void feed(std::string_view in, std::string& out);
    // End of content: decides a held unit (even without its final CRLF) and
    // emits anything else held. Afterwards feed() passes bytes through.
    void finish(std::string& out);

    // The header section has ended and nothing is held: feed() would append its
    // input unchanged, so the caller may send body chunks directly, without a copy.
    bool in_body() const { return state_ == State::body; }
    // The content's first line is a continuation line: behind the fields mxgate
    // prepends it would continue the last of them (a forged trace field).
    bool starts_with_continuation() const { return starts_with_continuation_; }
    std::size_t removed() const { return removed_; }         // candidates dropped so far
    std::size_t held_bytes() const { return held_.size(); }  // never more than max_field_size

private:
    enum class State { header, body };
    enum class Unit {
        none,       // before the first line
        passing,    // cannot be a candidate: its bytes go out at once
        held,       // is, or may still become, a candidate: collected in held_
        discarded,  // an oversized candidate: its bytes vanish
    };
    enum class Match { name, space, yes, no };  // the unfolded "name *WSP :" so far

    std::size_t at_line_start(std::string_view in, std::size_t i, std::string& out);
    std::size_t match_name(std::string_view in, std::size_t i, std::string& out);
    std::size_t copy_line(std::string_view in, std::size_t i, std::string& out);
    void start_unit(std::string& out);
    void settle_unit(std::string& out);
    void discard_unit();
    void route(std::string_view bytes, std::string& out);

    std::string candidate_;
    std::function<bool(std::string_view)> drop_;
    std::size_t max_field_size_;

    State state_ = State::header;
    Unit unit_ = Unit::none;
    Match match_ = Match::name;
    std::size_t matched_ = 0;       // candidate name bytes matched
    bool at_line_start_ = true;
    bool line_dot_ = false;         // this line's stuffing dot was read, its fate not yet known
    bool starts_with_continuation_ = false;
    std::string held_;              // the held unit as it came (stuffed)
    std::size_t removed_ = 0;
};

}  // namespace mxgate::smtp
