// Reply templates (policy/rules/text_template.hpp): placeholders, braces, what a
// value may carry into a reply, and the mistakes the compiler reports.
#include <gtest/gtest.h>

#include "policy/rules/text_template.hpp"
#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using core::Outcome;

std::string render(std::string_view text, std::vector<core::Finding> stage, std::vector<core::Finding> all = {}) {
    return render_template(text, stage, all);
}

TEST(TextTemplate, PlaceholdersNameAFindingAndAnAttributeSplitAtTheLastDot) {
    const std::vector<core::Finding> stage{{"dnsbl.zen", Outcome::fail, {{"codes", "127.0.0.2"}}, ""},
                                           {"greylist", Outcome::softfail, {{"retry_after", "300"}}, ""}};
    EXPECT_EQ(render("in {greylist.retry_after} s, {dnsbl.zen.codes}", stage), "in 300 s, 127.0.0.2");
    EXPECT_EQ(render("{{literal}} {greylist.absent}{nothing.here}.", stage), "{literal} .");
    EXPECT_EQ(render("{spf.domain}", {}, {{"spf", Outcome::fail, {{"domain", "example.org"}}, ""}}), "example.org")
        << "an earlier stage's finding when this stage has none";
}

TEST(TextTemplate, AValueCannotBreakTheReplyLine) {
    const std::vector<core::Finding> stage{{"spf", Outcome::fail, {{"explanation", "a\r\n250 ok\x80"}}, ""}};
    EXPECT_EQ(render("x {spf.explanation}", stage), "x a??250 ok?");
    const std::vector<core::Finding> long_one{{"spf", Outcome::fail, {{"explanation", std::string(1000, 'e')}}, ""}};
    EXPECT_EQ(render("{spf.explanation}", long_one).size(), max_placeholder_chars);
    EXPECT_EQ(render("{spf.explanation}{spf.explanation}{spf.explanation}", long_one).size(), max_rendered_chars);
}

TEST(TextTemplate, AReasonIsForQuarantineReasonsOnly) {
    EXPECT_TRUE(template_error("{dmarc.reason}", Reasons::refused));
    EXPECT_FALSE(template_error("{dmarc.reason}", Reasons::allowed));
    EXPECT_EQ(render("{dmarc.reason}", {{"dmarc", Outcome::fail, {}, "dmarc fail"}}), "dmarc fail");
}

TEST(TextTemplate, MistakesAreNamed) {
    for (const char* bad : {"a {b", "a } b", "{nodot}", "{.x}", "{x.}", "{a b.c}"})
        EXPECT_TRUE(template_error(bad, Reasons::allowed)) << bad;
    EXPECT_FALSE(template_error("plain {{x}} {a.b-c_d}", Reasons::refused));
    EXPECT_FALSE(has_placeholders("plain"));
    EXPECT_TRUE(has_placeholders("{{"));
}

TEST(TextTemplate, ThePolicyFileMayUseThemAndItsMistakesHaveALocation) {
    const auto policy = compiled(R"(
rules:
  - name: grey
    when: {greylist: defer}
    then: {tempfail: {text: "Greylisted for {greylist.retry_after} seconds"}}
)");
    ASSERT_TRUE(policy);
    EXPECT_TRUE(policy->rules[0].then.reply.templated);
    const auto wrong = errors(R"(
rules:
  - name: grey
    when: {greylist: defer}
    then: {tempfail: {text: "Greylisted: {greylist.reason}"}}
)");
    ASSERT_EQ(wrong.size(), 1u);
    EXPECT_NE(wrong[0].find("policy.yaml:5:"), std::string::npos) << wrong[0];
    EXPECT_NE(wrong[0].find("expected no {greylist.reason} in a reply"), std::string::npos) << wrong[0];
}

}  // namespace
}  // namespace mxgate::policy::rules::test
