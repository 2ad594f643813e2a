// libFuzzer: message content through MessageSplitter, whole and in
// fuzzer-chosen chunks. abort()s when:
// - whole and chunked disagree on fields, body or dropped fields;
// - end_of_header is not called exactly once, or body comes before it, or a body chunk is empty;
// - a field handed over is longer than max_field_size, or not a whole unit (a
//   field after the first starting with SP/HTAB, which must have been a
//   continuation; the first may, when the message starts with white space);
// - (no field dropped) the fields, the empty line and the body do not add up to
//   the unstuffed input exactly.
#include "proxy/smtp/message_splitter.hpp"

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

struct Recorded final : MessageSink {
    std::vector<std::string> fields;
    int ends = 0;
    std::string body_text;
    void header_field(std::string_view field) override {
        check(ends == 0);
        fields.emplace_back(field);
    }
    void end_of_header() override { ++ends; }
    void body(std::string_view chunk) override {
        check(ends == 1 && !chunk.empty());
        body_text.append(chunk);
    }
    bool operator==(const Recorded& o) const { return fields == o.fields && ends == o.ends && body_text == o.body_text; }
};

std::string unstuffed(std::string_view in) {
    std::string out;
    bool at_line_start = true;
    for (char c : in) {
        if (!(at_line_start && c == '.')) out += c;
        at_line_start = c == '\n';
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t max_field = 8 + data[0] % 64;
    const std::size_t step = 1 + data[1] % 17;
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    Recorded whole;
    MessageSplitter one(whole, max_field);
    one.feed(input);
    one.finish();

    Recorded chunked;
    MessageSplitter many(chunked, max_field);
    for (std::size_t i = 0; i < input.size(); i += step) many.feed(input.substr(i, step));
    many.finish();

    check(whole == chunked);
    check(one.dropped_fields() == many.dropped_fields());
    check(whole.ends == 1);
    for (std::size_t i = 0; i < whole.fields.size(); ++i) {
        const std::string& field = whole.fields[i];
        check(!field.empty() && field.size() <= max_field);
        check(i == 0 || (field.front() != ' ' && field.front() != '\t'));
    }
    if (one.dropped_fields() == 0) {
        std::string joined;
        for (const auto& field : whole.fields) joined += field;
        const std::string expected = unstuffed(input);
        const bool had_empty_line = joined.size() < expected.size() || !whole.body_text.empty();
        if (had_empty_line) joined += "\r\n";
        joined += whole.body_text;
        check(joined == expected);
    }
    return 0;
}
