// Reply formatting and the incremental reply parser: tables, every split point,
// pipelined replies and hostile input.
#include "proxy/core/reply.hpp"

#include <string>

#include <gtest/gtest.h>

namespace mxgate::core {
namespace {

TEST(ReplyWire, SingleLineWithEnhancedCode) {
    EXPECT_EQ(make_reply(250, "2.1.0", "Sender ok").wire(), "250 2.1.0 Sender ok\r\n");
}

TEST(ReplyWire, MultiLineRepeatsEnhancedCode) {
    Reply reply{550, "5.7.1", {"first", "second", "third"}};
    EXPECT_EQ(reply.wire(), "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n");
}

TEST(ReplyWire, WithoutEnhancedCodeOrText) {
    EXPECT_EQ(make_reply(354, "", "End data with <CR><LF>.<CR><LF>").wire(),
              "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ((Reply{250, "", {}}).wire(), "250\r\n");
    EXPECT_EQ((Reply{250, "2.0.0", {}}).wire(), "250 2.0.0\r\n");
    EXPECT_EQ((Reply{250, "", {"a", ""}}).wire(), "250-a\r\n250\r\n");
}

TEST(ReplySummary, JoinsLinesAndEscapes) {
    Reply reply{451, "4.3.0", {"one", "two\x01"}};
    EXPECT_EQ(reply.summary(), "451 4.3.0 one / two\\x01");
}

TEST(ReplySummary, Truncates) {
    Reply reply{250, "", {std::string(300, 'x')}};
    const std::string s = reply.summary(50);
    EXPECT_EQ(s.size(), 50u);
    EXPECT_EQ(s.substr(47), "...");
    EXPECT_EQ(make_reply(250, "", "ok").summary(50), "250 ok");
}

TEST(ReplyParse, SingleLine) {
    const std::string input = "250 OK\r\n";
    ReplyParse p = parse_reply(input, false);
    ASSERT_EQ(p.status, ReplyStatus::complete);
    EXPECT_EQ(p.consumed, input.size());
    EXPECT_EQ(p.reply.code, 250);
    EXPECT_EQ(p.reply.enhanced, "");
    ASSERT_EQ(p.reply.lines.size(), 1u);
    EXPECT_EQ(p.reply.lines[0], "OK");
}

TEST(ReplyParse, MultiLine) {
    const std::string input = "250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000\r\n";
    ReplyParse p = parse_reply(input, false);
    ASSERT_EQ(p.status, ReplyStatus::complete);
    EXPECT_EQ(p.consumed, input.size());
    EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"mx.example.org", "PIPELINING", "SIZE 1000"}));
}

TEST(ReplyParse, CodeOnlyLines) {
    ReplyParse p = parse_reply("250-\r\n250\r\n", false);
    ASSERT_EQ(p.status, ReplyStatus::complete);
    EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"", ""}));
}

TEST(ReplyParse, EnhancedCodes) {
    ReplyParse p = parse_reply("550-5.1.1 no such\r\n550 5.1.1 user\r\n", true);
    ASSERT_EQ(p.status, ReplyStatus::complete);
    EXPECT_EQ(p.reply.enhanced, "5.1.1");
    EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"no such", "user"}));
    EXPECT_EQ(p.reply.wire(), "550-5.1.1 no such\r\n550 5.1.1 user\r\n");

    // Not split off when not negotiated.
    p = parse_reply("250 2.0.0 Ok\r\n", false);
    EXPECT_EQ(p.reply.enhanced, "");
    EXPECT_EQ(p.reply.lines[0], "2.0.0 Ok");

    // A class that disagrees with the code is text (RFC 3463 §3.1).
    p = parse_reply("250 5.0.0 odd\r\n", true);
    EXPECT_EQ(p.reply.enhanced, "");
    EXPECT_EQ(p.reply.lines[0], "5.0.0 odd");

    // Three-digit subject/detail; alone on the line.
    p = parse_reply("452 4.123.456\r\n", true);
    EXPECT_EQ(p.reply.enhanced, "4.123.456");
    EXPECT_EQ(p.reply.lines[0], "");

    // Look-alikes are text.
    for (const char* text : {"250 2.0 ok\r\n", "250 2.0.1234 x\r\n", "250 2.0.0ok\r\n", "250 2..0 x\r\n"}) {
        p = parse_reply(text, true);
        ASSERT_EQ(p.status, ReplyStatus::complete) << text;
        EXPECT_EQ(p.reply.enhanced, "") << text;
    }
}

TEST(ReplyParse, BareLfAccepted) {
    ReplyParse p = parse_reply("250-a\n250 b\n", false);
    ASSERT_EQ(p.status, ReplyStatus::complete);
    EXPECT_EQ(p.consumed, 12u);
    EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"a", "b"}));
}

TEST(ReplyParse, Pipelined) {
    const std::string input = "250 2.1.0 sender\r\n250 2.1.5 rcpt\r\n354 go\r\n";
    std::string_view rest = input;
    std::vector<int> codes;
    while (!rest.empty()) {
        ReplyParse p = parse_reply(rest, true);
        ASSERT_EQ(p.status, ReplyStatus::complete);
        codes.push_back(p.reply.code);
        rest.remove_prefix(p.consumed);
    }
    EXPECT_EQ(codes, (std::vector<int>{250, 250, 354}));
}

TEST(ReplyParse, SplitAtEveryByte) {
    const std::string input = "250-mx.example.org hello\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 2.0.0 ok\r\n";
    const ReplyParse whole = parse_reply(input, true);
    ASSERT_EQ(whole.status, ReplyStatus::complete);
    for (std::size_t cut = 0; cut < input.size(); ++cut) {
        ReplyParse p = parse_reply(std::string_view(input).substr(0, cut), true);
        EXPECT_EQ(p.status, ReplyStatus::need_more) << "cut at " << cut;
    }
    // And with the next reply already behind it.
    ReplyParse p = parse_reply(input + "221 bye\r\n", true);
    ASSERT_EQ(p.status, ReplyStatus::complete);
    EXPECT_EQ(p.consumed, input.size());
    EXPECT_EQ(p.reply.lines, whole.reply.lines);
}

TEST(ReplyParse, Malformed) {
    const char* cases[] = {
        "abc\r\n",               // not a code
        "25\r\n",                // too short
        "150 one-fifty\r\n",     // RFC 5321 §4.2: first digit 2..5
        "650 six\r\n",
        "260 second digit\r\n",  // second digit 0..5
        "25x oops\r\n",
        "250x no separator\r\n",
        "250-a\r\n251 b\r\n",    // code changes between lines
        "250-a\r\n550 b\r\n",
        "\r\n",                  // empty line
        " 250 leading space\r\n",
    };
    for (const char* input : cases) {
        EXPECT_EQ(parse_reply(input, false).status, ReplyStatus::malformed) << input;
        EXPECT_EQ(parse_reply(input, true).status, ReplyStatus::malformed) << input;
    }
}

TEST(ReplyParse, TooLongLine) {
    const std::string long_line = "250 " + std::string(100, 'x') + "\r\n";
    EXPECT_EQ(parse_reply(long_line, false, 50).status, ReplyStatus::malformed);
    EXPECT_EQ(parse_reply(long_line, false, 104).status, ReplyStatus::complete);
    // Without its line end yet: malformed as soon as it cannot fit any more.
    const std::string partial = "250 " + std::string(100, 'x');
    EXPECT_EQ(parse_reply(partial, false, 50).status, ReplyStatus::malformed);
    EXPECT_EQ(parse_reply(partial, false, 200).status, ReplyStatus::need_more);
}

TEST(ReplyParse, TooManyLines) {
    std::string input;
    for (int i = 0; i < 10; ++i) input += "250-line\r\n";
    input += "250 end\r\n";
    EXPECT_EQ(parse_reply(input, false, 100, 10).status, ReplyStatus::malformed);
    EXPECT_EQ(parse_reply(input, false, 100, 11).status, ReplyStatus::complete);
    // Detected before the final line arrives.
    EXPECT_EQ(parse_reply(input.substr(0, 11 * 10 - 5), false, 100, 5).status, ReplyStatus::malformed);
}

TEST(ReplyParse, NeedMore) {
    EXPECT_EQ(parse_reply("", false).status, ReplyStatus::need_more);
    EXPECT_EQ(parse_reply("250-first\r\n", false).status, ReplyStatus::need_more);
    EXPECT_EQ(parse_reply("250 ok\r", false).status, ReplyStatus::need_more);
}

}  // namespace
}  // namespace mxgate::core
