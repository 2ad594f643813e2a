// SPF macro expansion (RFC 7208 §7): the examples of §7.4, transformers,
// delimiters, URL escaping, the letters only explanations may use, truncation.
#include "filters/spf/spf_macro.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::spf {
namespace {

namespace asio = boost::asio;

MacroFacts rfc_example(const char* ip) {
    MacroFacts f;
    f.sender = "strong-bad@email.example.com";
    f.local_part = "strong-bad";
    f.sender_domain = "email.example.com";
    f.domain = "email.example.com";
    f.client = asio::ip::make_address(ip);
    f.helo = "mx.example.org";
    f.receiver = "receiver.example.net";
    f.now = 1700000000;
    return f;
}

std::string domain(std::string_view text, const MacroFacts& f) {
    return expand_macros(text, f, MacroUse::domain).value_or("<invalid>");
}

TEST(SpfMacro, Rfc7208Section7_4Examples) {
    const MacroFacts f = rfc_example("192.0.2.3");
    EXPECT_EQ(domain("%{s}", f), "strong-bad@email.example.com");
    EXPECT_EQ(domain("%{o}", f), "email.example.com");
    EXPECT_EQ(domain("%{d}", f), "email.example.com");
    EXPECT_EQ(domain("%{d4}", f), "email.example.com");
    EXPECT_EQ(domain("%{d3}", f), "email.example.com");
    EXPECT_EQ(domain("%{d2}", f), "example.com");
    EXPECT_EQ(domain("%{d1}", f), "com");
    EXPECT_EQ(domain("%{dr}", f), "com.example.email");
    EXPECT_EQ(domain("%{d2r}", f), "example.email");
    EXPECT_EQ(domain("%{l}", f), "strong-bad");
    EXPECT_EQ(domain("%{l-}", f), "strong.bad");
    EXPECT_EQ(domain("%{lr}", f), "strong-bad");
    EXPECT_EQ(domain("%{lr-}", f), "bad.strong");
    EXPECT_EQ(domain("%{l1r-}", f), "strong");
    EXPECT_EQ(domain("%{ir}.%{v}._spf.%{d2}", f), "3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(domain("%{lr-}.lp._spf.%{d2}", f), "bad.strong.lp._spf.example.com");
    EXPECT_EQ(domain("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", f), "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(domain("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", f), "3.2.0.192.in-addr.strong.lp._spf.example.com");
    EXPECT_EQ(domain("%{d2}.trusted-domains.example.net", f), "example.com.trusted-domains.example.net");

    const MacroFacts v6 = rfc_example("2001:db8::cb01");
    EXPECT_EQ(domain("%{ir}.%{v}._spf.%{d2}", v6),
              "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, EscapesUrlEncodingAndExplanationLetters) {
    MacroFacts f = rfc_example("192.0.2.3");
    f.local_part = "a b=c/d";
    EXPECT_EQ(domain("%{L}.x", f), "a%20b%3Dc%2Fd.x");  // upper-case hex (§7.3)
    EXPECT_EQ(domain("%%%_%-", f), "% %20");
    EXPECT_EQ(expand_macros("%{c} via %{r} at %{t}", f, MacroUse::explanation),
              "192.0.2.3 via receiver.example.net at 1700000000");
    EXPECT_FALSE(expand_macros("%{c}", f, MacroUse::domain));
    EXPECT_FALSE(expand_macros("a b", f, MacroUse::domain));
    EXPECT_FALSE(expand_macros("%", f, MacroUse::explanation));
    EXPECT_FALSE(expand_macros("%{}", f, MacroUse::explanation));
    EXPECT_FALSE(expand_macros("%{dx}", f, MacroUse::explanation));
    EXPECT_EQ(domain("%{d99999999999999999999}", f), "email.example.com");  // more parts than exist
    EXPECT_EQ(expand_macros("%{p}", f, MacroUse::domain), "unknown");
    EXPECT_TRUE(uses_validated_name("x.%{P}.y"));
    EXPECT_FALSE(uses_validated_name("%%{p}"));
    EXPECT_EQ(expand_macros("%{v}", rfc_example("::ffff:192.0.2.3"), MacroUse::domain), "ip6");  // as given
}

TEST(SpfMacro, LongNamesLoseLabelsFromTheLeft) {
    MacroFacts f = rfc_example("192.0.2.3");
    const std::string label(60, 'x');
    const std::string local = label + "." + label + "." + label + "." + label + "." + label;
    f.local_part = local;
    const std::string expanded = domain("%{l}.example.com", f);
    EXPECT_LE(expanded.size(), 253u);
    EXPECT_EQ(expanded, label + "." + label + "." + label + ".example.com");  // 4 labels would make 255
    EXPECT_TRUE(query_name(expanded));
    EXPECT_FALSE(query_name(std::string(64, 'y') + ".example.com"));
    EXPECT_FALSE(query_name("a..example.com"));
    EXPECT_FALSE(query_name(""));
    EXPECT_EQ(query_name("example.com."), "example.com");
    // A hostile record cannot make one expansion grow without bound.
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "%{s}";
    EXPECT_FALSE(expand_macros(many + ".example.com", f, MacroUse::domain));
    EXPECT_FALSE(expand_macros(many, f, MacroUse::explanation));
    EXPECT_EQ(literal_suffix_start("%{d}.example.com"), 4u);
    EXPECT_EQ(literal_suffix_start("x.%{d}"), 6u);
}

}  // namespace
}  // namespace mxgate::filters::spf
