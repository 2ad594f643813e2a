// DataReader, ChunkStuffer, UnstuffToLf. Every DataReader stream is also fed split
// at every byte, at every pair of positions (short streams) and byte by byte, and
// must give the same result (Beast "parsegrind"). The smuggling table follows the
// published SMTP smuggling variants: none may end the data early.
#include "proxy/smtp/data_reader.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proxy/smtp/splits.hpp"

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

namespace mxgate::smtp {
namespace {

struct Result {
    std::string forwarded;       // everything `forward` gave, concatenated
    bool done = false;
    std::size_t consumed = 0;    // stream bytes used, including the terminator when done
    bool bare = false;
    bool too_big = false;
    bool line_too_long = false;
    std::uint64_t size = 0;

    // Forwarded bytes are compared only for clean messages: once a finding is
    // made nothing more is forwarded, so earlier pieces may differ by split.
    bool operator==(const Result& o) const {
        return done == o.done && consumed == o.consumed && bare == o.bare && too_big == o.too_big &&
               line_too_long == o.line_too_long && size == o.size &&
               (bare || too_big || line_too_long || forwarded == o.forwarded);
    }
};

std::ostream& operator<<(std::ostream& os, const Result& r) {
    return os << "{forwarded=" << testing::PrintToString(r.forwarded) << " done=" << r.done
              << " consumed=" << r.consumed << " bare=" << r.bare << " too_big=" << r.too_big
              << " line_too_long=" << r.line_too_long << " size=" << r.size << "}";
}

// Plays the session: pieces cut at `cuts` arrive, each time the reader sees every
// unused byte; it stops at the end of data like the session does.
Result run(std::string_view stream, DataLimits limits, const std::vector<std::size_t>& cuts) {
    DataReader reader(limits);
    Result r;
    std::string pending;
    std::size_t from = 0;
    auto deliver = [&](std::size_t to) {
        if (r.done) return;
        pending.append(stream.substr(from, to - from));
        from = to;
        const DataChunk chunk = reader.feed(pending);
        EXPECT_LE(chunk.consumed, pending.size());
        EXPECT_LE(chunk.forward.size(), chunk.consumed);
        if (!chunk.forward.empty()) {
            EXPECT_EQ(chunk.forward.data(), pending.data()) << "forward must be a prefix of the input";
            EXPECT_TRUE(reader.clean()) << "nothing is forwarded after a finding";
        }
        if (!chunk.done) {
            EXPECT_LE(pending.size() - chunk.consumed, 2u) << "at most 2 bytes held back";
        }
        r.forwarded.append(chunk.forward);
        r.consumed += chunk.consumed;
        r.done = chunk.done;
        pending.erase(0, chunk.consumed);
    };
    for (std::size_t cut : cuts) deliver(cut);
    deliver(stream.size());
    r.bare = reader.bare_line_ending();
    r.too_big = reader.too_big();
    r.line_too_long = reader.line_too_long();
    r.size = reader.size();
    EXPECT_EQ(reader.clean(), !r.bare && !r.too_big && !r.line_too_long);
    return r;
}

void grind(std::string_view stream, DataLimits limits) {
    const Result whole = run(stream, limits, {});
    for (const auto& plan : test::split_plans(stream.size(), 48))
        ASSERT_EQ(run(stream, limits, plan), whole) << test::describe_plan(plan);
}

// ---- clean content and end-of-data detection ----

struct Case {
    const char* name;
    std::string stream;
    DataLimits limits;
    bool done;
    std::size_t consumed;   // with done: through ".\r\n"; else what could be decided
    std::string forwarded;  // when clean
    bool bare, too_big, line_too_long;
    std::uint64_t size;
};

std::vector<Case> cases() {
    const DataLimits none{};
    const std::string eight = "12345678";
    return {
        {"empty message", ".\r\n", none, true, 3, "", false, false, false, 0},
        {"one line", "a\r\n.\r\n", none, true, 6, "a\r\n", false, false, false, 3},
        {"stuffed dot stays stuffed", "a\r\n..b\r\n.\r\n", none, true, 11, "a\r\n..b\r\n", false, false, false, 8},
        {"dot line stuffed", "..\r\n.\r\n", none, true, 7, "..\r\n", false, false, false, 4},
        {"dot text at start", ".a\r\n.\r\n", none, true, 7, ".a\r\n", false, false, false, 4},
        {"blank lines", "\r\n\r\n.\r\n", none, true, 7, "\r\n\r\n", false, false, false, 4},
        {"stops at end, leaves pipelined", "a\r\n.\r\nQUIT\r\n", none, true, 6, "a\r\n", false, false, false, 3},
        {"no end yet", "a\r\nb", none, false, 4, "a\r\nb", false, false, false, 4},
        {"holds a dot", "a\r\n.", none, false, 3, "a\r\n", false, false, false, 3},
        {"holds dot cr", "a\r\n.\r", none, false, 3, "a\r\n", false, false, false, 3},
        {"holds cr", "a\r", none, false, 1, "a", false, false, false, 1},
        {"holds cr at line start", "a\r\n\r", none, false, 3, "a\r\n", false, false, false, 3},
        {"dot then text not end", "a\r\n.b", none, false, 5, "a\r\n.b", false, false, false, 5},
        {"dot space crlf is not end", "a\r\n. \r\n.\r\n", none, true, 10, "a\r\n. \r\n", false, false, false, 7},
        {"binary bytes pass", std::string("\0\x01\xff\r\n.\r\n", 8), none, true, 8,
         std::string("\0\x01\xff\r\n", 5), false, false, false, 5},
        // Limits, exactly at and one past.
        {"size at limit", eight + "\r\n.\r\n", DataLimits{10, 0}, true, 13, eight + "\r\n", false, false, false, 10},
        {"size one past", eight + "9\r\n.\r\n", DataLimits{10, 0}, true, 14, "", false, true, false, 11},
        {"line at limit", eight + "\r\n" + eight + "\r\n.\r\n", DataLimits{0, 10}, true, 23,
         eight + "\r\n" + eight + "\r\n", false, false, false, 20},
        {"line one past", "a\r\n" + eight + "9\r\n.\r\n", DataLimits{0, 10}, true, 17, "", false, false, true, 14},
        {"stuffed line counted as sent", "..234567\r\n.\r\n", DataLimits{0, 10}, true, 13, "..234567\r\n", false,
         false, false, 10},
        {"stuffed line one past", "..2345678\r\n.\r\n", DataLimits{0, 10}, true, 14, "", false, false, true, 11},
        {"unterminated long line", std::string(20, 'x'), DataLimits{0, 10}, false, 20, "", false, false, true, 20},
        {"both limits", std::string(20, 'x') + "\r\n.\r\n", DataLimits{10, 10}, true, 25, "", false, true, true, 22},
        // Bare line endings anywhere.
        {"bare lf in text", "a\nb\r\n.\r\n", none, true, 8, "", true, false, false, 5},
        {"bare cr in text", "a\rb\r\n.\r\n", none, true, 8, "", true, false, false, 5},
        {"cr cr lf", "a\r\r\n.\r\n", none, true, 7, "", true, false, false, 4},
        {"lf at start", "\n.\r\n", none, false, 4, "", true, false, false, 4},
    };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class DataReaderTable : public testing::TestWithParam<Case> {};

TEST_P(DataReaderTable, Whole) {
    const Case& c = GetParam();
    const Result r = run(c.stream, c.limits, {});
    EXPECT_EQ(r.done, c.done);
    EXPECT_EQ(r.consumed, c.consumed);
    EXPECT_EQ(r.bare, c.bare);
    EXPECT_EQ(r.too_big, c.too_big);
    EXPECT_EQ(r.line_too_long, c.line_too_long);
    EXPECT_EQ(r.size, c.size);
    EXPECT_EQ(r.forwarded, c.forwarded);  // whole: nothing at all when unclean
}

TEST_P(DataReaderTable, Grind) { grind(GetParam().stream, GetParam().limits); }

INSTANTIATE_TEST_SUITE_P(Streams, DataReaderTable, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& info) { return test::test_name(info.param.name); });

// ---- SMTP smuggling: a fake terminator followed by a second transaction ----

struct Smuggle {
    const char* name;
    std::string prefix;  // content before the fake terminator
    std::string fake;    // the fake terminator
};

std::vector<Smuggle> smuggles() {
    const std::string body = "Subject: hi\r\n\r\nbody";
    return {
        {"lf dot lf", body, "\n.\n"},
        {"crlf dot lf", body, "\r\n.\n"},
        {"lf dot crlf", body, "\n.\r\n"},
        {"cr dot cr", body, "\r.\r"},
        {"crlf dot cr", body, "\r\n.\r"},
        {"cr dot crlf", body, "\r.\r\n"},
        {"crlf dot cr crlf", body, "\r\n.\r\r\n"},
        {"cr dot lf", body, "\r.\n"},
        {"lf dot cr", body, "\n.\r"},
        {"crlf lf dot crlf", body, "\r\n\n.\r\n"},
        {"dot lf at start", "", ".\n"},
        {"dot cr at start", "", ".\r"},
        {"dot cr cr lf at start", "", ".\r\r\n"},
    };
}

const std::string smuggled =
    "MAIL FROM:<admin@victim.example>\r\nRCPT TO:<someone@victim.example>\r\nDATA\r\n"
    "From: admin@victim.example\r\n\r\nforged\r\n";

void PrintTo(const Smuggle& c, std::ostream* os) { *os << c.name; }

class DataReaderSmuggling : public testing::TestWithParam<Smuggle> {};

TEST_P(DataReaderSmuggling, FakeTerminatorDoesNotEndData) {
    const Smuggle& s = GetParam();
    const std::string fake_part = s.prefix + s.fake + smuggled;
    const Result r = run(fake_part, {}, {});
    EXPECT_FALSE(r.done) << "ended at a fake terminator";
    EXPECT_TRUE(r.bare);
    EXPECT_EQ(r.forwarded, "");
}

TEST_P(DataReaderSmuggling, EndsOnlyAtRealTerminator) {
    const Smuggle& s = GetParam();
    const std::string stream = s.prefix + s.fake + smuggled + ".\r\nQUIT\r\n";
    const Result r = run(stream, {}, {});
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.consumed, stream.size() - std::string("QUIT\r\n").size());
    EXPECT_TRUE(r.bare);
    EXPECT_FALSE(r.too_big);
    EXPECT_EQ(r.forwarded, "");
    EXPECT_EQ(r.size, stream.size() - std::string(".\r\nQUIT\r\n").size());
    grind(stream, {});
}

INSTANTIATE_TEST_SUITE_P(Variants, DataReaderSmuggling, testing::ValuesIn(smuggles()),
                         [](const testing::TestParamInfo<Smuggle>& info) { return test::test_name(info.param.name); });

// ---- behaviour across calls ----

TEST(DataReader, ForwardStopsForGoodAfterFinding) {
    DataReader reader({});
    DataChunk c = reader.feed("a\r\n");
    EXPECT_EQ(c.forward, "a\r\n");
    c = reader.feed("b\nc\r\n");  // bare LF: not even "b" of this call goes on
    EXPECT_EQ(c.forward, "");
    EXPECT_EQ(c.consumed, 5u);
    EXPECT_TRUE(reader.bare_line_ending());
    c = reader.feed("clean\r\n");
    EXPECT_EQ(c.forward, "");
    EXPECT_EQ(c.consumed, 7u);
    c = reader.feed(".\r\n");
    EXPECT_TRUE(c.done);
    EXPECT_FALSE(reader.clean());
}

TEST(DataReader, HeldBytesAreOfferedAgain) {
    DataReader reader({});
    DataChunk c = reader.feed("x\r\n.\r");
    EXPECT_EQ(c.consumed, 3u);
    EXPECT_EQ(c.forward, "x\r\n");
    EXPECT_FALSE(c.done);
    c = reader.feed(".\r\n");  // the held ".\r" again plus the new "\n"
    EXPECT_TRUE(c.done);
    EXPECT_EQ(c.consumed, 3u);
    EXPECT_EQ(c.forward, "");
    EXPECT_TRUE(reader.clean());
}

TEST(DataReader, HeldCrThenDotIsBare) {
    DataReader reader({});
    DataChunk c = reader.feed("x\r\n.\r");
    EXPECT_EQ(c.consumed, 3u);
    c = reader.feed(".\r.\r\n");  // ".\r." : the CR was bare, the next dot is no line start
    EXPECT_FALSE(c.done);
    EXPECT_EQ(c.consumed, 5u);
    EXPECT_TRUE(reader.bare_line_ending());
    c = reader.feed(".\r\n");
    EXPECT_TRUE(c.done);
}

TEST(DataReader, LargeCleanMessage) {
    std::string stream;
    for (int i = 0; i < 2000; ++i) stream += (i % 7 == 0 ? ".line " : "line ") + std::to_string(i) + "\r\n";
    const std::string content = stream;
    stream += ".\r\n";
    const DataLimits limits{content.size(), 80};
    const Result whole = run(stream, limits, {});
    EXPECT_TRUE(whole.done);
    EXPECT_EQ(whole.forwarded, content);
    EXPECT_EQ(whole.size, content.size());
    EXPECT_TRUE(!whole.bare && !whole.too_big && !whole.line_too_long);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < stream.size(); i += 97) cuts.push_back(i);
    EXPECT_EQ(run(stream, limits, cuts), whole);
    const DataLimits one_short{content.size() - 1, 80};
    EXPECT_TRUE(run(stream, one_short, {}).too_big);
}

// ---- ChunkStuffer ----

struct StuffResult {
    std::string out;
    bool bare, too_big, line_too_long;
    std::uint64_t size;
    bool operator==(const StuffResult&) const = default;
};

std::ostream& operator<<(std::ostream& os, const StuffResult& r) {
    return os << "{out=" << testing::PrintToString(r.out) << " bare=" << r.bare << " too_big=" << r.too_big
              << " line_too_long=" << r.line_too_long << " size=" << r.size << "}";
}

StuffResult stuff(const std::vector<std::string>& chunks, DataLimits limits = {}) {
    ChunkStuffer stuffer(limits);
    StuffResult r;
    for (const auto& chunk : chunks) stuffer.stuff(chunk, r.out);
    stuffer.finish(r.out);
    r.bare = stuffer.bare_line_ending();
    r.too_big = stuffer.too_big();
    r.line_too_long = stuffer.line_too_long();
    r.size = stuffer.size();
    EXPECT_EQ(stuffer.clean(), !r.bare && !r.too_big && !r.line_too_long);
    return r;
}

struct StuffCase {
    const char* name;
    std::string content;
    DataLimits limits;
    std::string out;  // when clean
    bool bare, too_big, line_too_long;
};

std::vector<StuffCase> stuff_cases() {
    const DataLimits none{};
    return {
        {"empty", "", none, "", false, false, false},
        {"one line", "a\r\n", none, "a\r\n", false, false, false},
        {"leading dot", ".a\r\n", none, "..a\r\n", false, false, false},
        {"fake terminator gets stuffed", "a\r\n.\r\nb\r\n", none, "a\r\n..\r\nb\r\n", false, false, false},
        {"dot inside line", "a.b\r\n", none, "a.b\r\n", false, false, false},
        {"missing final crlf added", "abc", none, "abc\r\n", false, false, false},
        {"final dot line without crlf", "a\r\n.", none, "a\r\n..\r\n", false, false, false},
        {"bare lf", "a\nb\r\n", none, "", true, false, false},
        {"bare cr", "a\rb\r\n", none, "", true, false, false},
        {"final cr", "a\r", none, "", true, false, false},
        {"lf dot lf", "a\n.\nMAIL FROM:<x@y>\r\n", none, "", true, false, false},
        {"size at limit", "12345678\r\n", DataLimits{10, 0}, "12345678\r\n", false, false, false},
        {"size one past", "123456789\r\n", DataLimits{10, 0}, "", false, true, false},
        {"line at limit", "12345678\r\n", DataLimits{0, 10}, "12345678\r\n", false, false, false},
        {"line one past", "123456789\r\n", DataLimits{0, 10}, "", false, false, true},
        {"line counted before stuffing", ".2345678\r\n", DataLimits{0, 10}, "..2345678\r\n", false, false, false},
        {"added crlf fits", "12345678", DataLimits{0, 10}, "12345678\r\n", false, false, false},
        {"added crlf does not fit", "123456789", DataLimits{0, 10}, "", false, false, true},
    };
}

void PrintTo(const StuffCase& c, std::ostream* os) { *os << c.name; }

class ChunkStufferTable : public testing::TestWithParam<StuffCase> {};

TEST_P(ChunkStufferTable, WholeAndSplit) {
    const StuffCase& c = GetParam();
    StuffResult whole = stuff({c.content}, c.limits);
    EXPECT_EQ(whole.bare, c.bare);
    EXPECT_EQ(whole.too_big, c.too_big);
    EXPECT_EQ(whole.line_too_long, c.line_too_long);
    EXPECT_EQ(whole.size, c.content.size());
    const bool clean = !c.bare && !c.too_big && !c.line_too_long;
    // Output after a finding is never used: compare it only for clean content.
    if (clean) {
        EXPECT_EQ(whole.out, c.out);
    } else {
        whole.out = "";
    }
    for (std::size_t cut = 0; cut <= c.content.size(); ++cut) {
        StuffResult split = stuff({c.content.substr(0, cut), c.content.substr(cut)}, c.limits);
        if (!clean) split.out = "";
        EXPECT_EQ(split, whole) << "cut at " << cut;
    }
    std::vector<std::string> bytes;
    for (char ch : c.content) bytes.emplace_back(1, ch);
    StuffResult one = stuff(bytes, c.limits);
    if (!clean) one.out = "";
    EXPECT_EQ(one.out, clean ? c.out : "");
    EXPECT_EQ(one.bare, c.bare);
}

INSTANTIATE_TEST_SUITE_P(Contents, ChunkStufferTable, testing::ValuesIn(stuff_cases()),
                         [](const testing::TestParamInfo<StuffCase>& info) { return test::test_name(info.param.name); });

TEST(ChunkStuffer, CrAtChunkEndResolvedByNextChunk) {
    ChunkStuffer stuffer({});
    std::string out;
    stuffer.stuff("a\r", out);
    EXPECT_EQ(out, "a");
    stuffer.stuff("\n.x\r\n", out);
    EXPECT_EQ(out, "a\r\n..x\r\n");
    stuffer.finish(out);
    EXPECT_EQ(out, "a\r\n..x\r\n");
    EXPECT_TRUE(stuffer.clean());
}

TEST(ChunkStuffer, StopsAppendingAfterFinding) {
    ChunkStuffer stuffer({});
    std::string out;
    stuffer.stuff("ok\r\n", out);
    stuffer.stuff("bad\nmore\r\n", out);
    stuffer.stuff("later\r\n", out);
    stuffer.finish(out);
    EXPECT_EQ(out, "ok\r\n");
    EXPECT_TRUE(stuffer.bare_line_ending());
}

TEST(ChunkStuffer, OutputIsAcceptedByDataReader) {
    const std::string content = ".\r\n..\r\nx\r\n.\r\n";
    std::string out = stuff({content}).out;
    out += ".\r\n";
    DataReader reader({});
    const DataChunk c = reader.feed(out);
    EXPECT_TRUE(c.done);
    EXPECT_EQ(c.consumed, out.size());
    EXPECT_EQ(c.forward, "..\r\n...\r\nx\r\n..\r\n");
    EXPECT_TRUE(reader.clean());
}

// ---- UnstuffToLf ----

std::string unstuff(const std::vector<std::string>& chunks) {
    UnstuffToLf u;
    std::string out;
    for (const auto& chunk : chunks) u.transform(chunk, out);
    return out;
}

TEST(UnstuffToLf, Table) {
    const std::vector<std::pair<std::string, std::string>> table = {
        {"", ""},
        {"a\r\n", "a\n"},
        {"..\r\n", ".\n"},
        {"...x\r\n", "..x\n"},
        {"a.b\r\n.c\r\n", "a.b\nc\n"},
        {"\r\n\r\n", "\n\n"},
        {"x\r\n..\r\ny\r\n", "x\n.\ny\n"},
    };
    for (const auto& [in, expected] : table) {
        EXPECT_EQ(unstuff({in}), expected) << testing::PrintToString(in);
        for (std::size_t cut = 0; cut <= in.size(); ++cut) {
            EXPECT_EQ(unstuff({in.substr(0, cut), in.substr(cut)}), expected)
                << testing::PrintToString(in) << " cut at " << cut;
        }
        std::vector<std::string> bytes;
        for (char ch : in) bytes.emplace_back(1, ch);
        EXPECT_EQ(unstuff(bytes), expected) << testing::PrintToString(in) << " byte by byte";
    }
}

TEST(UnstuffToLf, RoundTripThroughChunkStuffer) {
    const std::string content = ".hidden\r\n\r\n..two\r\nplain\r\n.\r\nend\r\n";
    std::string expected;
    for (std::size_t i = 0; i < content.size(); ++i) {
        if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n') continue;
        expected += content[i];
    }
    for (std::size_t cut = 0; cut <= content.size(); ++cut) {
        const StuffResult s = stuff({content.substr(0, cut), content.substr(cut)});
        ASSERT_FALSE(s.bare);
        EXPECT_EQ(unstuff({s.out.substr(0, cut), s.out.substr(cut)}), expected) << "cut at " << cut;
    }
}

}  // namespace
}  // namespace mxgate::smtp
