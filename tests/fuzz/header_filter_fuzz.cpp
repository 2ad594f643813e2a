// libFuzzer: message content through HeaderFieldFilter, whole and in
// fuzzer-chosen chunks, against a line-at-a-time reference that reads the whole
// input at once. abort()s when:
// - whole, chunked and reference disagree on output, removals or predicate calls;
// - more is held than max(max_field_size, candidate size), or something is still
//   held after finish(), or in_body() is claimed while bytes are held;
// - with nothing removed, the output is not the input exactly.
// Short candidate names ("a", "x-y") let the fuzzer reach the candidate paths
// without a dictionary; the corpus carries real Authentication-Results fields.
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

bool same_name(std::string_view name, std::string_view candidate) {
    return name.size() == candidate.size() && std::equal(name.begin(), name.end(), candidate.begin(), [](char a, char b) {
               return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
           });
}

// The line's field name if it is a field line (RFC 5322 ftext, then *WSP ":").
bool field_name(std::string_view line, std::string_view& name) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    name = line.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    if (name.empty()) return false;
    for (const char c : name) {
        if (static_cast<unsigned char>(c) < 33 || static_cast<unsigned char>(c) > 126) return false;
    }
    return true;
}

// Reference: whole input, split into lines ending in LF (the last may not).
Outcome reference(std::string_view s, const Params& p) {
    std::vector<std::string_view> lines;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t lf = s.find('\n', i);
        const std::size_t end = lf == std::string_view::npos ? s.size() : lf + 1;
        lines.push_back(s.substr(i, end - i));
        i = end;
    }
    Outcome o;
    std::size_t i = 0;
    while (i < lines.size()) {
        const std::string_view line = lines[i];
        // The candidate name and a run of spaces longer than the limit allows:
        // removed as an oversized field, colon or not.
        std::size_t spaces = 0;
        while (p.candidate.size() + spaces < line.size() && is_wsp(line[p.candidate.size() + spaces])) ++spaces;
        const bool hostile_spaces = spaces > 0 && !p.candidate.empty() && same_name(line.substr(0, p.candidate.size()), p.candidate) &&
                                    p.candidate.size() + spaces > p.max_field_size;
        std::string_view name;
        if (!hostile_spaces && (line[0] == '\r' || is_wsp(line[0]) || !field_name(line, name))) break;
        std::string field(line);
        for (++i; i < lines.size() && is_wsp(lines[i][0]); ++i) field += lines[i];
        if (!hostile_spaces && !same_name(name, p.candidate)) {
            o.out += field;
        } else if (hostile_spaces || field.size() > p.max_field_size) {
            ++o.removed;
        } else {
            o.asked.push_back(field);
            if (decide(p, field)) {
                ++o.removed;
            } else {
                o.out += field;
            }
        }
    }
    for (; i < lines.size(); ++i) o.out += lines[i];  // the body, or what we cannot parse
    return o;
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
    const std::size_t bound = std::max(p.max_field_size, p.candidate.size());
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
    return 0;
}
