// HeaderFieldFilter. Every table stream is also fed cut at every byte, at every
// pair of positions (short streams) and byte by byte, and must give the same
// output, the same removals and the same predicate calls (Beast "parsegrind").
// The predicate plays RFC 8601 §5: drop fields that name our authserv-id.
#include "proxy/smtp/header_filter.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proxy/smtp/splits.hpp"

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

namespace mxgate::smtp {
namespace {

constexpr std::string_view ours = "mx.ours.example";
const std::string ar_ours = "Authentication-Results: mx.ours.example; spf=pass\r\n";
const std::string ar_theirs = "Authentication-Results: mx.theirs.example; spf=fail\r\n";

struct Result {
    std::string out;
    std::size_t removed = 0;
    std::vector<std::string> asked;  // fields given to the predicate, in order
    bool operator==(const Result&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Result& r) {
    return os << "{out=" << testing::PrintToString(r.out) << " removed=" << r.removed
              << " asked=" << testing::PrintToString(r.asked) << "}";
}

// Feeds `stream` cut at `cuts`, then finishes.
Result run(std::string_view stream, const std::vector<std::size_t>& cuts, std::size_t max_field_size = 4096) {
    Result r;
    HeaderFieldFilter filter(
        "authentication-results",
        [&r](std::string_view field) {
            r.asked.emplace_back(field);
            return field.find(ours) != std::string_view::npos;
        },
        max_field_size);
    std::size_t from = 0;
    for (const std::size_t cut : cuts) {
        filter.feed(stream.substr(from, cut - from), r.out);
        from = cut;
        EXPECT_LE(filter.held_bytes(), std::max<std::size_t>(max_field_size, 22)) << "held bytes are bounded";
    }
    filter.feed(stream.substr(from), r.out);
    filter.finish(r.out);
    EXPECT_EQ(filter.held_bytes(), 0u);
    r.removed = filter.removed();
    return r;
}

void grind(std::string_view stream, const Result& whole, std::size_t max_field_size = 4096) {
    for (const auto& plan : test::split_plans(stream.size(), 80))
        ASSERT_EQ(run(stream, plan, max_field_size), whole) << test::describe_plan(plan);
}

struct Case {
    const char* name;
    std::string stream;
    std::string out;  // the stream with the dropped fields cut out
    std::size_t removed;
};

std::vector<Case> cases() {
    const std::string body = "\r\nbody\r\n..stuffed\r\n";
    const std::string folded_ours = "Authentication-Results: mx.ours.example;\r\n\tspf=pass\r\n  dkim=pass\r\n";
    return {
        {"empty", "", "", 0},
        {"no candidate", "From: a\r\nTo: b\r\n" + body, "From: a\r\nTo: b\r\n" + body, 0},
        {"ours removed", "From: a\r\n" + ar_ours + "To: b\r\n" + body, "From: a\r\nTo: b\r\n" + body, 1},
        {"theirs kept", "From: a\r\n" + ar_theirs + body, "From: a\r\n" + ar_theirs + body, 0},
        {"first field", ar_ours + "From: a\r\n" + body, "From: a\r\n" + body, 1},
        {"last field before body", "From: a\r\n" + ar_ours + body, "From: a\r\n" + body, 1},
        {"folded removed whole", "From: a\r\n" + folded_ours + "To: b\r\n" + body, "From: a\r\nTo: b\r\n" + body, 1},
        {"ours and theirs", ar_theirs + ar_ours + ar_ours + ar_theirs + body, ar_theirs + ar_theirs + body, 2},
        {"upper case name", "AUTHENTICATION-RESULTS: mx.ours.example\r\n" + body, body, 1},
        {"mixed case name", "authentication-RESULTS:mx.ours.example\r\n" + body, body, 1},
        {"obs space before colon", "Authentication-Results \t : mx.ours.example\r\n" + body, body, 1},
        {"only header, at finish", "From: a\r\n" + ar_ours, "From: a\r\n", 1},
        {"theirs at finish", "From: a\r\n" + ar_theirs, "From: a\r\n" + ar_theirs, 0},
        {"no final crlf", "From: a\r\nAuthentication-Results: mx.ours.example", "From: a\r\n", 1},
        {"folded at finish", folded_ours, "", 1},
        {"in body untouched", "From: a\r\n\r\n" + ar_ours, "From: a\r\n\r\n" + ar_ours, 0},
        {"blank line first", "\r\n" + ar_ours, "\r\n" + ar_ours, 0},
        // The header section ends only at the empty line: what a lenient reader
        // may still take for a field is filtered up to there.
        {"not a field does not end header", "From: a\r\nnot a field\r\n" + ar_ours + body,
         "From: a\r\nnot a field\r\n" + body, 1},
        {"space in name", "Authentication Results: mx.ours.example\r\n" + ar_ours,
         "Authentication Results: mx.ours.example\r\n", 1},
        {"empty name", ": x\r\n" + ar_ours, ": x\r\n", 1},
        {"8-bit name", "Fr\xc3\xb6m: a\r\n" + ar_ours, "Fr\xc3\xb6m: a\r\n", 1},
        {"first line folded", " x\r\n" + ar_ours + body, " x\r\n" + body, 1},
        {"name without colon at end", "Authentication-Results", "Authentication-Results", 0},
        {"name and space at end", "From: a\r\nAuthentication-Results  ", "From: a\r\nAuthentication-Results  ", 0},
        {"longer name kept", "Authentication-Results-X: mx.ours.example\r\n" + body,
         "Authentication-Results-X: mx.ours.example\r\n" + body, 0},
        {"shorter name kept", "Authentication-Result: mx.ours.example\r\n" + body,
         "Authentication-Result: mx.ours.example\r\n" + body, 0},
        {"prefix then space kept", "Authentication :\r\n" + ar_ours + body, "Authentication :\r\n" + body, 1},
        {"continuation of another field", "X: a\r\n " + ar_ours + body, "X: a\r\n " + ar_ours + body, 0},
        {"stuffed name is a field", "..x: y\r\n" + ar_ours + body, "..x: y\r\n" + body, 1},
        // Transparency (RFC 5321 4.5.2): the backend removes a line's first dot.
        {"stuffed candidate removed", "From: a\r\n." + ar_ours + body, "From: a\r\n" + body, 1},
        {"stuffed first field removed", "." + ar_ours + "From: a\r\n" + body, "From: a\r\n" + body, 1},
        {"stuffed continuation removed with its field", ar_ours + ". dkim=pass\r\n" + body, body, 1},
        {"two dots are another name", "..Authentication-Results: mx.ours.example\r\n" + body,
         "..Authentication-Results: mx.ours.example\r\n" + body, 0},
        {"stuffed first line folded", ". x\r\n" + ar_ours + body, ". x\r\n" + body, 1},
        // A name folded before its colon: unfolded, it is the field.
        {"folded name removed", "Authentication-Results\r\n : mx.ours.example; dkim=pass\r\n" + body, body, 1},
        {"folded name twice removed", "From: a\r\nAuthentication-Results \r\n \r\n\t: mx.ours.example\r\n" + body,
         "From: a\r\n" + body, 1},
        {"folded name without colon kept", "Authentication-Results\r\n x\r\n" + ar_ours + body,
         "Authentication-Results\r\n x\r\n" + body, 1},
        {"name then empty line", "Authentication-Results\r\n\r\n" + ar_ours, "Authentication-Results\r\n\r\n" + ar_ours, 0},
        {"folded inside name kept", "Authentication-\r\n Results: mx.ours.example\r\n" + body,
         "Authentication-\r\n Results: mx.ours.example\r\n" + body, 0},
        {"bare lf line ends header", "From: a\r\n\n" + ar_ours, "From: a\r\n\n" + ar_ours, 0},
        {"cr line ends header", "From: a\r\n\rX: y\r\n" + ar_ours, "From: a\r\n\rX: y\r\n" + ar_ours, 0},
    };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class HeaderFieldFilterTable : public testing::TestWithParam<Case> {};

TEST_P(HeaderFieldFilterTable, Whole) {
    const Case& c = GetParam();
    const Result r = run(c.stream, {});
    EXPECT_EQ(r.out, c.out);
    EXPECT_EQ(r.removed, c.removed);
}

TEST_P(HeaderFieldFilterTable, EverySplit) { grind(GetParam().stream, run(GetParam().stream, {})); }

INSTANTIATE_TEST_SUITE_P(Streams, HeaderFieldFilterTable, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& info) { return test::test_name(info.param.name); });

TEST(HeaderFieldFilter, PredicateSeesWholeFieldOnce) {
    const std::string field = "Authentication-Results : x;\r\n\tspf=pass\r\n";
    const std::string stream = "From: a\r\n" + field + "To: b\r\n\r\nb\r\n";
    const Result r = run(stream, {});
    EXPECT_EQ(r.asked, std::vector<std::string>{field});
    EXPECT_EQ(r.out, stream);
    grind(stream, r);
}

TEST(HeaderFieldFilter, OversizedFieldRemovedWithoutAsking) {
    const std::string big = "Authentication-Results: mx.theirs.example;\r\n" + std::string(40, ' ') + "spf=pass\r\n" +
                            "\tdkim=pass\r\n";
    const std::string stream = "From: a\r\n" + big + ar_theirs + "To: b\r\n\r\nb\r\n";
    const Result r = run(stream, {}, 64);
    EXPECT_EQ(r.out, "From: a\r\n" + ar_theirs + "To: b\r\n\r\nb\r\n");
    EXPECT_EQ(r.removed, 1u);
    EXPECT_EQ(r.asked, std::vector<std::string>{ar_theirs});
    grind(stream, r, 64);
}

TEST(HeaderFieldFilter, FieldAtLimitIsAsked) {
    const std::string stream = ar_theirs + "\r\n";
    const Result at = run(stream, {}, ar_theirs.size());
    EXPECT_EQ(at.out, stream);
    EXPECT_EQ(at.asked.size(), 1u);
    const Result past = run(stream, {}, ar_theirs.size() - 1);
    EXPECT_EQ(past.out, "\r\n");
    EXPECT_EQ(past.removed, 1u);
    EXPECT_TRUE(past.asked.empty());
}

TEST(HeaderFieldFilter, SpacesBeforeColonCannotOutgrowTheLimit) {
    // "Authentication-Results" + many SP: hostile whether or not a colon follows.
    for (const std::string tail : {": mx.ours.example\r\n", "x\r\n"}) {
        const std::string stream = "From: a\r\nAuthentication-Results" + std::string(100, ' ') + tail + "To: b\r\n";
        const Result r = run(stream, {}, 64);
        EXPECT_EQ(r.out, "From: a\r\nTo: b\r\n");
        EXPECT_EQ(r.removed, 1u);
        grind(stream, r, 64);
    }
}

TEST(HeaderFieldFilter, OtherFieldsAndBodyPassAtOnce) {
    HeaderFieldFilter filter("authentication-results", [](std::string_view) { return true; }, 4096);
    std::string out;
    filter.feed("From: a", out);
    EXPECT_EQ(out, "From: a");
    filter.feed("\r\nAuthentic", out);
    EXPECT_EQ(out, "From: a\r\n") << "a possible candidate name is held";
    filter.feed("ator: x\r\n", out);
    EXPECT_EQ(out, "From: a\r\nAuthenticator: x\r\n");
    filter.feed("Authentication-Results: x\r\n", out);
    EXPECT_EQ(out, "From: a\r\nAuthenticator: x\r\n");
    EXPECT_GT(filter.held_bytes(), 0u);
    filter.feed("\r", out);  // the empty line settles the held field
    EXPECT_EQ(filter.removed(), 1u);
    EXPECT_EQ(filter.held_bytes(), 0u);
    const std::string long_name(5000, 'x');
    filter.feed("\n" + long_name + ": y\r\n", out);
    EXPECT_EQ(out, "From: a\r\nAuthenticator: x\r\n\r\n" + long_name + ": y\r\n");
}

TEST(HeaderFieldFilter, InBodyOnlyOnceHeaderEndedAndNothingHeld) {
    HeaderFieldFilter filter("authentication-results", [](std::string_view) { return false; }, 4096);
    std::string out;
    filter.feed("From: a\r\n" + ar_ours, out);
    EXPECT_FALSE(filter.in_body());
    filter.feed("\r", out);
    EXPECT_TRUE(filter.in_body());
    EXPECT_EQ(filter.held_bytes(), 0u);
    EXPECT_EQ(out, "From: a\r\n" + ar_ours + "\r");
    HeaderFieldFilter not_a_field("authentication-results", {}, 4096);
    not_a_field.feed("Authentication-Results x", out);
    EXPECT_FALSE(not_a_field.in_body()) << "a line that is not a field does not end the header section";
    EXPECT_EQ(not_a_field.held_bytes(), 0u);
}

TEST(HeaderFieldFilter, PredicateSeesTheFieldUnstuffed) {
    const std::string stream = ".Authentication-Results: x;\r\n. spf=pass\r\n\r\nb\r\n";
    const Result r = run(stream, {});
    EXPECT_EQ(r.asked, std::vector<std::string>{"Authentication-Results: x;\r\n spf=pass\r\n"});
    EXPECT_EQ(r.out, stream) << "a kept field goes out as it came, stuffed";
    grind(stream, r);
}

TEST(HeaderFieldFilter, FirstLineContinuationIsReported) {
    for (const std::string first : {" from trusted.example\r\n", "\tx\r\n", ". x\r\n"}) {
        HeaderFieldFilter filter("authentication-results", {}, 4096);
        std::string out;
        filter.feed(first + "From: a\r\n\r\n", out);
        EXPECT_TRUE(filter.starts_with_continuation()) << first;
    }
    for (const std::string first : {"From: a\r\n x\r\n", "\r\n x\r\n", "..x\r\n", "x\r\n"}) {
        HeaderFieldFilter filter("authentication-results", {}, 4096);
        std::string out;
        filter.feed(first, out);
        EXPECT_FALSE(filter.starts_with_continuation()) << first;
    }
}

TEST(HeaderFieldFilter, LongNameIsNeverHeld) {
    HeaderFieldFilter filter("authentication-results", [](std::string_view) { return true; }, 4096);
    std::string out;
    const std::string long_name(100000, 'x');
    filter.feed(long_name, out);
    EXPECT_EQ(out, long_name);
    EXPECT_EQ(filter.held_bytes(), 0u);
}

TEST(HeaderFieldFilter, EmptyPredicateKeepsEverything) {
    HeaderFieldFilter filter("authentication-results", {}, 4096);
    std::string out;
    filter.feed(ar_ours + "\r\n", out);
    filter.finish(out);
    EXPECT_EQ(out, ar_ours + "\r\n");
    EXPECT_EQ(filter.removed(), 0u);
}

TEST(HeaderFieldFilter, CandidateNameIsCaseInsensitive) {
    HeaderFieldFilter filter("Authentication-Results", [](std::string_view) { return true; }, 4096);
    std::string out;
    filter.feed("authentication-results: x\r\n\r\n", out);
    EXPECT_EQ(out, "\r\n");
}

}  // namespace
}  // namespace mxgate::smtp
