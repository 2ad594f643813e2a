// MessageSplitter: the unstuffed header fields and body that content filters
// read, whatever the chunk boundaries.
#include "proxy/smtp/message_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxgate::smtp {
namespace {

struct Recorded : MessageSink {
    std::vector<std::string> fields;
    int ends = 0;
    std::string body_text;
    void header_field(std::string_view field) override { fields.emplace_back(field); }
    void end_of_header() override {
        ++ends;
        EXPECT_TRUE(body_text.empty()) << "body before the end of the header";
    }
    void body(std::string_view chunk) override {
        EXPECT_EQ(ends, 1) << "body before the end of the header";
        body_text.append(chunk);
    }
};

// Feeds `stuffed` in chunks of `step` bytes (0: all at once).
Recorded split(std::string_view stuffed, std::size_t step = 0, std::size_t max_field = 1000) {
    Recorded out;
    MessageSplitter splitter(out, max_field);
    if (step == 0) step = stuffed.size() + 1;
    for (std::size_t i = 0; i < stuffed.size(); i += step) splitter.feed(stuffed.substr(i, step));
    splitter.finish();
    EXPECT_EQ(out.ends, 1);
    return out;
}

constexpr std::string_view message =
    "From: a@example.org\r\n"
    "Subject: folded\r\n"
    "\tsecond line\r\n"
    "..Dotted-Name: x\r\n"
    "\r\n"
    "..a line that started with a dot\r\n"
    "body\r\n"
    "..\r\n";

TEST(MessageSplitter, FieldsWholeAndBodyUnstuffedAtAnyChunkSize) {
    for (std::size_t step : {0, 1, 2, 3, 7, 19}) {
        const Recorded r = split(message, step);
        ASSERT_EQ(r.fields.size(), 3u) << "step " << step;
        EXPECT_EQ(r.fields[0], "From: a@example.org\r\n");
        EXPECT_EQ(r.fields[1], "Subject: folded\r\n\tsecond line\r\n");
        EXPECT_EQ(r.fields[2], ".Dotted-Name: x\r\n");
        EXPECT_EQ(r.body_text, ".a line that started with a dot\r\nbody\r\n.\r\n") << "step " << step;
    }
}

TEST(MessageSplitter, NoEmptyLineMeansNoBody) {
    const Recorded r = split("Subject: only a header\r\nX: y");
    ASSERT_EQ(r.fields.size(), 2u);
    EXPECT_EQ(r.fields[1], "X: y");
    EXPECT_EQ(r.body_text, "");
    const Recorded empty = split("");
    EXPECT_TRUE(empty.fields.empty());
}

TEST(MessageSplitter, ALineThatIsNotAFieldIsStillAUnit) {
    const Recorded r = split("not a field\r\nA: b\r\n\r\nbody\r\n");
    ASSERT_EQ(r.fields.size(), 2u);
    EXPECT_EQ(r.fields[0], "not a field\r\n");
    EXPECT_EQ(r.body_text, "body\r\n");
}

TEST(MessageSplitter, AnOversizedFieldIsDroppedAndTheRestRead) {
    std::string huge = "X-Huge: " + std::string(100, 'a') + "\r\n";
    for (int i = 0; i < 5; ++i) huge += "\t" + std::string(100, 'b') + "\r\n";
    Recorded out;
    MessageSplitter splitter(out, 256);
    splitter.feed("A: 1\r\n" + huge + "B: 2\r\n\r\nbody\r\n");
    splitter.finish();
    ASSERT_EQ(out.fields.size(), 2u);
    EXPECT_EQ(out.fields[0], "A: 1\r\n");
    EXPECT_EQ(out.fields[1], "B: 2\r\n");
    EXPECT_EQ(splitter.dropped_fields(), 1u);
    EXPECT_EQ(out.body_text, "body\r\n");
}

TEST(MessageSplitter, OneOverlongLineDropsOnlyItsOwnField) {
    Recorded out;
    MessageSplitter splitter(out, 64);
    splitter.feed("A: 1\r\nB: " + std::string(200, 'b') + "\r\nC: 3\r\n\r\n");
    splitter.finish();
    ASSERT_EQ(out.fields.size(), 2u);
    EXPECT_EQ(out.fields[0], "A: 1\r\n");
    EXPECT_EQ(out.fields[1], "C: 3\r\n");
    EXPECT_EQ(splitter.dropped_fields(), 1u);
}

}  // namespace
}  // namespace mxgate::smtp
