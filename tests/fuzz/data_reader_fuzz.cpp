// libFuzzer: message content through DataReader (whole and cut in two at a
// fuzzer-chosen point) and through ChunkStuffer/UnstuffToLf. abort()s when:
// - whole and split disagree on end, findings or size;
// - a clean reader forwards CRLF "." CRLF, a bare CR or LF, or a leading "." CRLF
//   (anything a backend would read as an end of data or a line we never checked);
// - ChunkStuffer output, when clean, has the same faults, is not accepted whole by
//   DataReader, or does not unstuff back to the content.
#include "proxy/smtp/data_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace mxgate::smtp;

void check(bool ok) {
    if (!ok) std::abort();
}

struct Outcome {
    std::string forwarded;
    bool done = false;
    std::size_t consumed = 0;
    bool bare = false, too_big = false, line_too_long = false, clean = true;
    std::uint64_t size = 0;
};

Outcome read(std::string_view stream, std::size_t cut, DataLimits limits) {
    DataReader reader(limits);
    Outcome o;
    std::string pending;
    for (const std::string_view piece : {stream.substr(0, cut), stream.substr(cut)}) {
        if (o.done) break;
        pending.append(piece);
        const DataChunk c = reader.feed(pending);
        check(c.consumed <= pending.size() && c.forward.size() <= c.consumed);
        check(c.forward.empty() || c.forward.data() == pending.data());
        check(c.done || pending.size() - c.consumed <= 2);
        check(c.forward.empty() || reader.clean());
        o.forwarded.append(c.forward);
        o.consumed += c.consumed;
        o.done = c.done;
        pending.erase(0, c.consumed);
    }
    o.bare = reader.bare_line_ending();
    o.too_big = reader.too_big();
    o.line_too_long = reader.line_too_long();
    o.clean = reader.clean();
    o.size = reader.size();
    check(o.clean == (!o.bare && !o.too_big && !o.line_too_long));
    return o;
}

// Dot-stuffed CRLF text a backend reads as content only.
void check_safe_content(std::string_view s) {
    check(s.find("\r\n.\r\n") == std::string_view::npos);
    check(s.substr(0, 3) != ".\r\n");
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') check(i + 1 < s.size() && s[i + 1] == '\n');
        if (s[i] == '\n') check(i > 0 && s[i - 1] == '\r');
    }
}

// Reference model, one byte at a time: where does RFC 5321 §4.1.1.4 say the
// data ends (npos: not yet), and is there a bare CR or LF before `until`?
std::size_t reference_end(std::string_view s) {
    bool line_start = true;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (line_start && s.substr(i, 3) == ".\r\n") return i + 3;
        line_start = s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n';
        if (line_start) ++i;
    }
    return std::string_view::npos;
}

bool reference_bare(std::string_view s, std::size_t until) {
    for (std::size_t i = 0; i < until; ++i) {
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] != '\n') return true;
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
    }
    return false;
}

std::string crlf_to_lf(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
        out += s[i];
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    // Byte 0: cut point; byte 1: line limit (0 = none); byte 2: size limit (0 = none).
    const DataLimits limits{static_cast<std::uint64_t>(data[2]) * 4, static_cast<std::size_t>(data[1])};
    const std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);
    const std::size_t cut = stream.empty() ? 0 : data[0] % (stream.size() + 1);

    const Outcome whole = read(stream, stream.size(), limits);
    const Outcome split = read(stream, cut, limits);
    check(whole.done == split.done && whole.consumed == split.consumed && whole.size == split.size);
    check(whole.bare == split.bare && whole.too_big == split.too_big &&
          whole.line_too_long == split.line_too_long);
    const std::size_t end = reference_end(stream);
    check(whole.done == (end != std::string_view::npos));
    if (whole.done) check(whole.consumed == end);
    const std::size_t content = whole.done ? end - 3 : whole.consumed;
    check(whole.size == content);
    check(whole.bare == reference_bare(stream, content));
    if (whole.clean) {
        check(whole.forwarded == split.forwarded);
        check_safe_content(whole.forwarded);
        check(whole.size == whole.forwarded.size());
        if (whole.done) {
            check(whole.forwarded.empty() || whole.forwarded.ends_with("\r\n"));
            check(stream.substr(0, whole.consumed) == whole.forwarded + ".\r\n");
        }
    } else {
        check(whole.forwarded.empty());
    }

    // The same bytes as BDAT content, in two chunks.
    std::string out_whole, out_split;
    ChunkStuffer a(limits), b(limits);
    a.stuff(stream, out_whole);
    a.finish(out_whole);
    b.stuff(stream.substr(0, cut), out_split);
    b.stuff(stream.substr(cut), out_split);
    b.finish(out_split);
    check(a.bare_line_ending() == b.bare_line_ending() && a.too_big() == b.too_big() &&
          a.line_too_long() == b.line_too_long() && a.size() == stream.size() && b.size() == stream.size());
    if (a.clean()) {
        check(out_whole == out_split);
        check_safe_content(out_whole);
        check(out_whole.empty() || out_whole.ends_with("\r\n"));
        // A backend given out_whole + "." CRLF by DATA must see exactly that message.
        const std::string dotted = out_whole + ".\r\n";
        DataReader reader({});
        const DataChunk c = reader.feed(dotted);
        check(c.done && c.consumed == dotted.size() && c.forward == out_whole && reader.clean());
        // And the stored form is the content with LF line ends.
        std::string stored;
        UnstuffToLf u;
        u.transform(std::string_view(out_whole).substr(0, cut), stored);
        u.transform(std::string_view(out_whole).substr(std::min(cut, out_whole.size())), stored);
        std::string content(stream);
        if (!content.empty() && !content.ends_with("\r\n")) content += "\r\n";
        check(stored == crlf_to_lf(content));
    }
    return 0;
}
