// libFuzzer: message content through HeaderFieldFilter, whole and in
// fuzzer-chosen chunks, against a unit-at-a-time reference that reads the whole
// input at once. abort()s when:
// - whole, chunked and reference disagree on output, removals or predicate calls;
// - more than max_field_size is held, or something is still held after finish(),
//   or in_body() is claimed while bytes are held;
// - with nothing removed, the output is not the input exactly;
// - (the attacker's view) a field that the predicate drops survives where a
//   lenient reader would find it: in the unstuffed output, unfolded, before the
//   first empty line, whatever non-field lines come before it.
// Short candidate names ("a", "x-y") let the fuzzer reach the candidate paths
// without a dictionary; the corpus carries real Authentication-Results fields,
// stuffed dots, folded names and leading white space.
#include "proxy/smtp/header_filter.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mxgate::smtp;

void check(bool ok) {
    if (!ok) std::abort();
}

struct Outcome {
    std::string out;
    std::size_t removed = 0;
    std::vector<std::string> asked;
    bool operator==(const Outcome&) const = default;
};

struct Params {
    std::string candidate;
    std::size_t max_field_size = 0;
    unsigned mode = 0;  // 0 keep all, 1 drop all, 2 drop fields containing "ours"
};

bool decide(const Params& p, std::string_view field) {
    return p.mode == 1 || (p.mode == 2 && field.find("ours") != std::string_view::npos);
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::vector<std::string_view> lines_of(std::string_view s) {
    std::vector<std::string_view> lines;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t lf = s.find('\n', i);
        const std::size_t end = lf == std::string_view::npos ? s.size() : lf + 1;
        lines.push_back(s.substr(i, end - i));
        i = end;
    }
    return lines;
}

// A line as the backend stores it: its first dot is transparency.
std::string_view text_of(std::string_view line) { return !line.empty() && line[0] == '.' ? line.substr(1) : line; }

// "name *WSP :" over unfolded text (CR and LF skipped), one byte at a time.
struct Matcher {
    enum State { name, space, yes, no } state = name;
    std::size_t matched = 0;
    void step(char c, std::string_view candidate) {
        const bool whole = matched == candidate.size();
        if (state == name && !whole && lower(c) == candidate[matched]) {
            ++matched;
        } else if ((state == space || whole) && is_wsp(c) && state != yes) {
            state = space;
        } else if ((state == space || whole) && c == ':' && state != yes) {
            state = yes;
        } else if (state != yes) {
            state = no;
        }
    }
};

// Reference: the whole input, a unit (a line plus its continuation lines) at a time.
Outcome reference(std::string_view s, const Params& p) {
    const std::vector<std::string_view> lines = lines_of(s);
    Outcome o;
    std::size_t i = 0;
    while (i < lines.size()) {
        const std::string_view first = text_of(lines[i]);
        if (!first.empty() && (first[0] == '\r' || first[0] == '\n')) break;  // the empty line
        std::size_t end = i + 1;
        while (end < lines.size() && !text_of(lines[end]).empty() && is_wsp(text_of(lines[end])[0])) ++end;
        std::string unit;
        for (std::size_t k = i; k < end; ++k) unit += lines[k];
        const bool continuation = !first.empty() && is_wsp(first[0]);
        i = end;
        if (p.candidate.empty() || continuation) {
            o.out += unit;
            continue;
        }
        Matcher m;
        std::size_t size = 0;
        bool oversized = false;
        bool line_start = true;
        for (const char c : unit) {
            const bool stuffing = line_start && c == '.';
            line_start = c == '\n';
            if (!stuffing && c != '\r' && c != '\n') m.step(c, p.candidate);
            if (m.state == Matcher::no) break;
            if (++size > p.max_field_size) {
                oversized = true;
                break;
            }
        }
        if (oversized) {
            ++o.removed;
        } else if (m.state != Matcher::yes) {
            o.out += unit;
        } else {
            std::string field;
            line_start = true;
            for (const char c : unit) {
                if (!(line_start && c == '.')) field += c;
                line_start = c == '\n';
            }
            o.asked.push_back(field);
            if (decide(p, field)) {
                ++o.removed;
            } else {
                o.out += unit;
            }
        }
    }
    for (; i < lines.size(); ++i) o.out += lines[i];  // the body
    return o;
}

// Content without a bare CR or LF: the only kind the session forwards whole.
bool clean(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    }
    return true;
}

// The attacker's view: no candidate field that the predicate would drop is left
// where a lenient reader looks for fields.
void check_nothing_forged_survives(std::string_view out, const Params& p) {
    std::vector<std::string> logical;
    for (const std::string_view line : lines_of(out)) {
        const std::string_view text = text_of(line);
        if (text == "\r\n") break;
        if (!text.empty() && is_wsp(text[0]) && !logical.empty()) {
            logical.back() += text;
        } else {
            logical.emplace_back(text);
        }
    }
    for (const std::string& field : logical) {
        if (!field.empty() && is_wsp(field[0])) continue;  // the session refuses such content
        Matcher m;
        for (const char c : field) {
            if (c != '\r' && c != '\n') m.step(c, p.candidate);
            if (m.state == Matcher::yes || m.state == Matcher::no) break;
        }
        check(m.state != Matcher::yes || !decide(p, field));
    }
}

// Feeds `s` in chunks whose sizes come from `sizes` (cycled; empty = one piece).
Outcome run(std::string_view s, const Params& p, std::string_view sizes) {
    Outcome o;
    HeaderFieldFilter filter(
        p.candidate,
        [&](std::string_view field) {
            o.asked.emplace_back(field);
            return decide(p, field);
        },
        p.max_field_size);
    const std::size_t bound = p.max_field_size;
    std::size_t from = 0;
    for (std::size_t k = 0; from < s.size(); ++k) {
        const std::size_t size = sizes.empty() ? s.size() : static_cast<unsigned char>(sizes[k % sizes.size()]) % 16 + 1;
        filter.feed(s.substr(from, size), o.out);
        check(filter.held_bytes() <= bound);
        check(!filter.in_body() || filter.held_bytes() == 0);
        if (filter.in_body()) {
            // Body fast path: what is fed comes out unchanged, at once.
            const std::string_view next = s.substr(std::min(from + size, s.size()), 8);
            filter.feed(next, o.out);
            check(std::string_view(o.out).substr(o.out.size() - next.size()) == next);
            from += next.size();
        }
        from += size;
    }
    filter.finish(o.out);
    check(filter.held_bytes() == 0 && filter.in_body());
    o.removed = filter.removed();
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    // Byte 0: predicate mode and candidate; byte 1: max_field_size; byte 2: how
    // many chunk-size bytes follow; then the chunk sizes; then the content.
    static const char* const candidates[] = {"a", "x-y", "authentication-results", ""};
    Params p;
    p.mode = data[0] % 3;
    p.candidate = candidates[(data[0] / 3) % 4];
    p.max_field_size = data[1] == 255 ? 1 << 20 : data[1];
    const std::size_t n_sizes = std::min<std::size_t>(data[2] % 8, size - 3);
    const std::string_view sizes(reinterpret_cast<const char*>(data + 3), n_sizes);
    const std::string_view content(reinterpret_cast<const char*>(data + 3 + n_sizes), size - 3 - n_sizes);

    const Outcome expected = reference(content, p);
    const Outcome whole = run(content, p, {});
    check(whole == expected);
    check(run(content, p, sizes) == expected);
    check(run(content, p, "\x01") == expected);
    if (expected.removed == 0) check(expected.out == content);
    if (p.mode == 0 && p.max_field_size == 1 << 20) check(expected.out == content);
    if (!p.candidate.empty() && p.max_field_size == 1 << 20 && clean(content)) check_nothing_forged_survives(whole.out, p);
    return 0;
}
