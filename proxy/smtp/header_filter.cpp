// Header field removal: see header_filter.hpp. RFC 5322 §2.2 (fields, folding),
// §3.6.8 (field-name), §4.5.8 (obsolete WSP before the colon); RFC 5321 §4.5.2
// (transparency); RFC 8601 §5.
//
// Lines that cannot be candidates are copied a line (or a chunk) at a time with
// memchr; only the start of a unit that may still be the candidate name is
// looked at byte by byte, so memory stays bounded whatever the input.
#include "proxy/smtp/header_filter.hpp"

#include <cstring>
#include <utility>

#include "proxy/core/text.hpp"

namespace mxgate::smtp {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// The field as the backend stores it: the first dot of every line is transparency.
std::string unstuffed(std::string_view stuffed) {
    std::string field;
    field.reserve(stuffed.size());
    bool line_start = true;
    for (const char c : stuffed) {
        if (!(line_start && c == '.')) field.push_back(c);
        line_start = c == '\n';
    }
    return field;
}

}  // namespace

HeaderFieldFilter::HeaderFieldFilter(std::string candidate, std::function<bool(std::string_view field)> drop,
                                     std::size_t max_field_size)
    : candidate_(std::move(candidate)), drop_(std::move(drop)), max_field_size_(max_field_size) {
    for (char& c : candidate_) c = core::ascii_lower(c);
}

void HeaderFieldFilter::feed(std::string_view in, std::string& out) {
    std::size_t i = 0;
    while (i < in.size()) {
        if (state_ == State::body) {
            out.append(in.substr(i));  // fast path: the body is never looked at
            return;
        }
        if (at_line_start_) {
            i = at_line_start(in, i, out);
        } else if (unit_ == Unit::held && (match_ == Match::name || match_ == Match::space)) {
            i = match_name(in, i, out);
        } else {
            i = copy_line(in, i, out);
        }
    }
}

void HeaderFieldFilter::finish(std::string& out) {
    if (state_ == State::header && line_dot_) {
        // The content ended with a line holding only its stuffing dot.
        start_unit(out);
        route(".", out);
        line_dot_ = false;
    }
    settle_unit(out);
    state_ = State::body;
}

// Classifies the line in[i] starts, once past its stuffing dot: the empty line,
// a continuation of the current unit, or the start of a new one. Consumes only
// the dot; the line's first byte is read again by the next step.
std::size_t HeaderFieldFilter::at_line_start(std::string_view in, std::size_t i, std::string& out) {
    const char c = in[i];
    if (c == '.' && !line_dot_) {
        line_dot_ = true;  // its fate is the line's, decided by the next byte
        return i + 1;
    }
    const bool first_line = unit_ == Unit::none;
    if (c == '\r' || c == '\n') {
        // The empty line (a lone CR or LF here only occurs in content the
        // session refuses whole): the header section ends.
        settle_unit(out);
        if (line_dot_) out.push_back('.');
        line_dot_ = false;
        state_ = State::body;
        return i;
    }
    if (!is_wsp(c)) {
        start_unit(out);
    } else if (first_line) {
        starts_with_continuation_ = true;
        unit_ = Unit::passing;
    }
    at_line_start_ = false;
    if (line_dot_) {
        route(".", out);
        line_dot_ = false;
    }
    return i;
}

// The bytes of a unit that may still be a candidate, one at a time. CR and LF
// are skipped as unfolding does, so a name folded before its colon still matches.
std::size_t HeaderFieldFilter::match_name(std::string_view in, std::size_t i, std::string& out) {
    for (; i < in.size(); ++i) {
        const char c = in[i];
        if (c != '\r' && c != '\n') {
            const bool whole_name = matched_ == candidate_.size();
            if (match_ == Match::name && !whole_name && core::ascii_lower(c) == candidate_[matched_]) {
                ++matched_;
            } else if ((match_ == Match::space || whole_name) && is_wsp(c)) {
                match_ = Match::space;
            } else if ((match_ == Match::space || whole_name) && c == ':') {
                match_ = Match::yes;
            } else {
                match_ = Match::no;  // not the candidate: what was held goes out, c follows
                unit_ = Unit::passing;
                out.append(held_);
                held_.clear();
                return i;
            }
        }
        route(std::string_view(&c, 1), out);
        if (c == '\n') at_line_start_ = true;
        if (at_line_start_ || match_ == Match::yes || unit_ == Unit::discarded) return i + 1;
    }
    return i;
}

// The rest of a line (or what the chunk holds of it) goes where its unit goes.
std::size_t HeaderFieldFilter::copy_line(std::string_view in, std::size_t i, std::string& out) {
    const void* lf = std::memchr(in.data() + i, '\n', in.size() - i);
    const std::size_t end = lf == nullptr ? in.size() : static_cast<const char*>(lf) - in.data() + 1;
    route(in.substr(i, end - i), out);
    if (lf != nullptr) at_line_start_ = true;
    return end;
}

void HeaderFieldFilter::start_unit(std::string& out) {
    settle_unit(out);
    matched_ = 0;
    unit_ = candidate_.empty() ? Unit::passing : Unit::held;
    match_ = candidate_.empty() ? Match::no : Match::name;
}

// The current unit has ended: a held candidate is decided now; a held unit that
// never reached its colon was no field and goes out as it came.
void HeaderFieldFilter::settle_unit(std::string& out) {
    if (unit_ == Unit::held) {
        if (match_ == Match::yes && drop_ && drop_(unstuffed(held_))) {
            ++removed_;
        } else {
            out.append(held_);
        }
        held_.clear();
    }
    if (unit_ != Unit::none) unit_ = Unit::passing;  // until the next unit starts
}

void HeaderFieldFilter::discard_unit() {
    held_.clear();
    held_.shrink_to_fit();  // a hostile field must not pin its memory for the whole message
    unit_ = Unit::discarded;
    ++removed_;
}

// Bytes of the current unit: out, held (checked against the limit before they
// grow it past it), or gone.
void HeaderFieldFilter::route(std::string_view bytes, std::string& out) {
    switch (unit_) {
        case Unit::none:
        case Unit::passing: out.append(bytes); break;
        case Unit::held:
            if (held_.size() + bytes.size() > max_field_size_) {
                discard_unit();
            } else {
                held_.append(bytes);
            }
            break;
        case Unit::discarded: break;
    }
}

}  // namespace mxgate::smtp
