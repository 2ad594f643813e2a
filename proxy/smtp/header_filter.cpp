// Header field removal: see header_filter.hpp. RFC 5322 §2.2 (fields, folding),
// §3.6.8 (field-name), §4.5.8 (obsolete WSP before the colon); RFC 8601 §5.
//
// Field lines and the body are copied a line (or a chunk) at a time with memchr;
// only field names are looked at byte by byte, and only a name that may still
// be the candidate is held, so memory stays bounded whatever the input.
#include "proxy/smtp/header_filter.hpp"

#include <cstring>
#include <utility>

namespace mxgate::smtp {

namespace {

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// RFC 5322 §3.6.8 ftext: printable US-ASCII except the colon.
bool is_ftext(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 33 && u <= 126 && c != ':';
}

}  // namespace

HeaderFieldFilter::HeaderFieldFilter(std::string candidate, std::function<bool(std::string_view field)> drop,
                                     std::size_t max_field_size)
    : candidate_(std::move(candidate)), drop_(std::move(drop)), max_field_size_(max_field_size) {
    for (char& c : candidate_) c = ascii_lower(c);
}

void HeaderFieldFilter::feed(std::string_view in, std::string& out) {
    std::size_t i = 0;
    while (i < in.size()) {
        switch (state_) {
            case State::body:
                out.append(in.substr(i));  // fast path: the body is never looked at
                return;
            case State::line_start:
                i = at_line_start(in, i, out);
                break;
            case State::field_name:
                i = read_field_name(in, i, out);
                break;
            case State::line_rest:
                i = read_line_rest(in, i, out);
                break;
        }
    }
}

void HeaderFieldFilter::finish(std::string& out) {
    // A name still being read never reached its colon: not a field, so it goes
    // out as it came. A held field has ended, with or without its final CRLF.
    if (state_ == State::field_name) {
        emit_held(out);
    } else {
        settle_field(out);
    }
    field_ = Field::none;
    state_ = State::body;
}

// Decides what in[i] starts; consumes nothing.
std::size_t HeaderFieldFilter::at_line_start(std::string_view in, std::size_t i, std::string& out) {
    const char c = in[i];
    if (is_wsp(c)) {
        // A continuation belongs to the current field and shares its fate. Before
        // any field it cannot be parsed, which ends the header section.
        state_ = field_ == Field::none ? State::body : State::line_rest;
        return i;
    }
    settle_field(out);  // the previous field ended with the previous line
    if (c == '\r') {
        state_ = State::body;  // the empty line (or a line that is not a field)
        return i;
    }
    state_ = State::field_name;
    name_length_ = 0;
    name_may_match_ = true;
    after_name_space_ = false;
    return i;
}

std::size_t HeaderFieldFilter::read_field_name(std::string_view in, std::size_t i, std::string& out) {
    // Bytes in[i, j) go to held_ while the name may be the candidate, else out.
    // name_may_match_ only ever turns false; held_ is flushed at that moment.
    const auto stop_matching = [&] {
        if (!name_may_match_) return;
        name_may_match_ = false;
        emit_held(out);
    };
    const auto pass_on = [&](std::size_t j) {
        if (name_may_match_) {
            held_.append(in.substr(i, j - i));
        } else {
            out.append(in.substr(i, j - i));
        }
    };
    for (std::size_t j = i; j < in.size(); ++j) {
        const char c = in[j];
        if (c == ':' && name_length_ > 0) {
            if (name_length_ != candidate_.size()) stop_matching();
            pass_on(j + 1);
            field_ = name_may_match_ ? Field::held : Field::passing;
            if (field_ == Field::held && held_.size() > max_field_size_) discard_oversized_field();
            state_ = State::line_rest;
            return j + 1;
        }
        if (is_wsp(c) && name_length_ > 0) {
            if (name_length_ != candidate_.size()) stop_matching();
            after_name_space_ = true;
            // The candidate name followed by a huge run of spaces: hostile, and
            // never held past the limit, even before we know a colon follows.
            if (name_may_match_ && held_.size() + (j + 1 - i) > max_field_size_) {
                discard_oversized_field();
                state_ = State::line_rest;
                return j + 1;
            }
            continue;
        }
        if (is_ftext(c) && !after_name_space_) {
            ++name_length_;
            if (name_length_ > candidate_.size() || ascii_lower(c) != candidate_[name_length_ - 1]) {
                stop_matching();
            }
            continue;
        }
        // Not a field (CR, LF, control, 8-bit, space inside the name, empty
        // name): the header section ends here, and nothing more is rewritten.
        stop_matching();
        pass_on(j);
        state_ = State::body;
        return j;
    }
    pass_on(in.size());
    return in.size();
}

std::size_t HeaderFieldFilter::read_line_rest(std::string_view in, std::size_t i, std::string& out) {
    const void* lf = std::memchr(in.data() + i, '\n', in.size() - i);
    const std::size_t end = lf == nullptr ? in.size() : static_cast<const char*>(lf) - in.data() + 1;
    const std::string_view part = in.substr(i, end - i);
    switch (field_) {
        case Field::held:
            // Checked before appending, so held_ never grows past the limit.
            if (held_.size() + part.size() > max_field_size_) {
                discard_oversized_field();
            } else {
                held_.append(part);
            }
            break;
        case Field::passing:
        case Field::none:  // cannot happen: line_rest always follows a field's start
            out.append(part);
            break;
        case Field::discarded:
            break;
    }
    if (lf != nullptr) state_ = State::line_start;
    return end;
}

// The current field has ended: a held candidate is decided now.
void HeaderFieldFilter::settle_field(std::string& out) {
    if (field_ == Field::held) {
        if (drop_ && drop_(held_)) {
            ++removed_;
        } else {
            out.append(held_);
        }
        held_.clear();
    }
    field_ = Field::none;
}

void HeaderFieldFilter::discard_oversized_field() {
    held_.clear();
    held_.shrink_to_fit();  // a hostile field must not pin its memory for the whole message
    field_ = Field::discarded;
    ++removed_;
}

void HeaderFieldFilter::emit_held(std::string& out) {
    out.append(held_);
    held_.clear();
}

}  // namespace mxgate::smtp
