// LineReader: table of streams, each also fed split at every byte position, at
// every pair of positions (short inputs) and byte by byte (Beast "parsegrind").
#include "proxy/smtp/line_reader.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

namespace mxgate::smtp {
namespace {

using Kind = LineEvent::Kind;

struct Event {
    Kind kind;
    std::string text;
    bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Event& ev) {
    static constexpr const char* names[] = {"line", "need_more", "too_long", "bare_lf"};
    return os << names[static_cast<int>(ev.kind)] << "(" << testing::PrintToString(ev.text) << ")";
}

struct Outcome {
    std::vector<Event> events;
    std::string leftover;  // bytes still waiting for a line end
    bool discarding = false;
    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    os << "{";
    for (const auto& ev : o.events) os << ev << " ";
    return os << "leftover=" << testing::PrintToString(o.leftover) << " discarding=" << o.discarding << "}";
}

// Plays a session: the stream arrives in pieces cut at `cuts`; after each piece the
// reader is asked for lines until it needs more, as the session coroutine does.
Outcome run(std::string_view stream, std::size_t max_length, const std::vector<std::size_t>& cuts) {
    LineReader reader(max_length);
    Outcome out;
    std::string pending;
    std::size_t from = 0;
    auto deliver = [&](std::size_t to) {
        pending.append(stream.substr(from, to - from));
        from = to;
        while (true) {
            const LineEvent ev = reader.next(pending);
            EXPECT_LE(ev.consumed, pending.size());
            if (ev.kind == Kind::need_more) {
                if (reader.discarding()) {
                    EXPECT_EQ(ev.consumed, pending.size()) << "memory must stay bounded while discarding";
                }
                pending.erase(0, ev.consumed);
                return;
            }
            EXPECT_GT(ev.consumed, 0u);
            out.events.push_back({ev.kind, std::string(ev.text)});
            pending.erase(0, ev.consumed);
        }
    };
    for (std::size_t cut : cuts) deliver(cut);
    deliver(stream.size());
    out.leftover = pending;
    out.discarding = reader.discarding();
    return out;
}

struct Case {
    const char* name;
    std::string stream;
    std::size_t max_length;
    std::vector<Event> events;
    std::string leftover;
    bool discarding;
};

std::vector<Case> cases() {
    const std::string ten = "0123456789";
    return {
        {"one line", "HELO a\r\n", 64, {{Kind::line, "HELO a"}}, "", false},
        {"pipelined", "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 64,
         {{Kind::line, "MAIL FROM:<a@b>"}, {Kind::line, "RCPT TO:<c@d>"}, {Kind::line, "DATA"}}, "", false},
        {"empty line", "\r\n", 64, {{Kind::line, ""}}, "", false},
        {"incomplete", "NOOP", 64, {}, "NOOP", false},
        {"incomplete after cr", "NOOP\r", 64, {}, "NOOP\r", false},
        {"bare lf", "NOOP\n", 64, {{Kind::bare_lf, ""}}, "", false},
        {"lone lf", "\n", 64, {{Kind::bare_lf, ""}}, "", false},
        {"lf smuggles a command", "RSET\nMAIL FROM:<x@y>\r\n", 64,
         {{Kind::bare_lf, ""}, {Kind::line, "MAIL FROM:<x@y>"}}, "", false},
        {"cr inside line is text", "a\rb\r\n", 64, {{Kind::line, "a\rb"}}, "", false},
        {"cr cr lf", "abc\r\r\n", 64, {{Kind::line, "abc\r"}}, "", false},
        {"lf cr lf", "\n\r\n", 64, {{Kind::bare_lf, ""}, {Kind::line, ""}}, "", false},
        {"exactly max", ten + "\r\n", 10, {{Kind::line, ten}}, "", false},
        {"one past max", ten + "X\r\n", 10, {{Kind::too_long, ""}}, "", false},
        {"too long then next line", ten + "X\r\nok\r\n", 10, {{Kind::too_long, ""}, {Kind::line, "ok"}}, "", false},
        {"too long ending in bare lf", ten + "X\nok\r\n", 10, {{Kind::too_long, ""}, {Kind::line, "ok"}}, "", false},
        {"exactly max ending in bare lf", ten + "\n", 10, {{Kind::bare_lf, ""}}, "", false},
        {"exactly max waiting for lf", ten + "\r", 10, {}, ten + "\r", false},
        {"past max waiting", ten + "X", 10, {}, "", true},
        {"past max by cr waiting", ten + "\r\r", 10, {}, "", true},
        {"max with cr inside", "012345678\r\r\n", 10, {{Kind::line, "012345678\r"}}, "", false},
        {"max zero", "\r\nx\r\n", 0, {{Kind::line, ""}, {Kind::too_long, ""}}, "", false},
        {"long then partial", std::string(50, 'x') + "\r\nab", 10, {{Kind::too_long, ""}}, "ab", false},
    };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LineReaderTable : public testing::TestWithParam<Case> {};

TEST_P(LineReaderTable, Whole) {
    const Case& c = GetParam();
    const Outcome got = run(c.stream, c.max_length, {});
    EXPECT_EQ(got.events, c.events);
    EXPECT_EQ(got.leftover, c.leftover);
    EXPECT_EQ(got.discarding, c.discarding);
}

TEST_P(LineReaderTable, SplitAtEveryByte) {
    const Case& c = GetParam();
    const Outcome whole = run(c.stream, c.max_length, {});
    for (std::size_t cut = 0; cut <= c.stream.size(); ++cut) {
        EXPECT_EQ(run(c.stream, c.max_length, {cut}), whole) << "cut at " << cut;
    }
    if (c.stream.size() <= 40) {
        for (std::size_t a = 0; a <= c.stream.size(); ++a) {
            for (std::size_t b = a; b <= c.stream.size(); ++b) {
                EXPECT_EQ(run(c.stream, c.max_length, {a, b}), whole) << "cuts at " << a << "," << b;
            }
        }
    }
}

TEST_P(LineReaderTable, ByteByByte) {
    const Case& c = GetParam();
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < c.stream.size(); ++i) cuts.push_back(i);
    EXPECT_EQ(run(c.stream, c.max_length, cuts), run(c.stream, c.max_length, {}));
}

INSTANTIATE_TEST_SUITE_P(Streams, LineReaderTable, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& info) {
                             std::string name = info.param.name;
                             for (char& ch : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             }
                             return name;
                         });

TEST(LineReader, ReportsConsumedBytes) {
    LineReader reader(64);
    LineEvent ev = reader.next("EHLO x\r\nQUIT\r\n");
    EXPECT_EQ(ev.kind, Kind::line);
    EXPECT_EQ(ev.text, "EHLO x");
    EXPECT_EQ(ev.consumed, 8u);

    ev = reader.next("QUI");
    EXPECT_EQ(ev.kind, Kind::need_more);
    EXPECT_EQ(ev.consumed, 0u);

    ev = reader.next("x\ny");
    EXPECT_EQ(ev.kind, Kind::bare_lf);
    EXPECT_EQ(ev.consumed, 2u);
}

TEST(LineReader, TextPointsIntoInput) {
    LineReader reader(64);
    const std::string input = "NOOP\r\n";
    const LineEvent ev = reader.next(input);
    EXPECT_EQ(ev.text.data(), input.data());
}

TEST(LineReader, DiscardsEndlessLineWithBoundedMemory) {
    LineReader reader(100);
    const std::string junk(4096, 'A');
    for (int i = 0; i < 100; ++i) {
        const LineEvent ev = reader.next(junk);
        ASSERT_EQ(ev.kind, Kind::need_more);
        ASSERT_EQ(ev.consumed, junk.size());
        ASSERT_TRUE(reader.discarding());
    }
    LineEvent ev = reader.next("AAA\r\nQUIT\r\n");
    EXPECT_EQ(ev.kind, Kind::too_long);
    EXPECT_EQ(ev.consumed, 5u);
    EXPECT_FALSE(reader.discarding());
    ev = reader.next("QUIT\r\n");
    EXPECT_EQ(ev.kind, Kind::line);
    EXPECT_EQ(ev.text, "QUIT");
}

TEST(LineReader, TooLongReportedOnce) {
    LineReader reader(4);
    EXPECT_EQ(reader.next("abcdefgh").kind, Kind::need_more);
    EXPECT_EQ(reader.next("\r\n").kind, Kind::too_long);
    EXPECT_EQ(reader.next("ab\r\n").kind, Kind::line);
}

}  // namespace
}  // namespace mxgate::smtp
