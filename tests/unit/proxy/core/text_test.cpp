#include "proxy/core/text.hpp"

#include <gtest/gtest.h>

namespace mxgate::core {
namespace {

TEST(Printable, EscapesWhatCouldForgeALogLine) {
    EXPECT_EQ(printable("ok\r\nevent=fake"), "ok\\x0d\\x0aevent=fake");
    EXPECT_EQ(printable(std::string_view("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(printable("back\\slash"), "back\\x5cslash");
    EXPECT_EQ(printable("j\xc3\xb6rg"), "j\\xc3\\xb6rg");
}

TEST(Printable, CutsToTheLimitAndSaysSo) {
    EXPECT_EQ(printable("abcdef", 6), "abcdef");
    EXPECT_EQ(printable("abcdefg", 6), "abc...");
    EXPECT_EQ(printable(std::string(10000, 'x'), 100).size(), 100u);
}

TEST(AsciiCase, ComparesAndLowersAsciiOnly) {
    EXPECT_TRUE(iequals("Postmaster", "POSTMASTER"));
    EXPECT_FALSE(iequals("NEVER", "NEVE"));
    EXPECT_FALSE(iequals("@", "`"));  // differ only in bit 0x20, but are not letters
    EXPECT_FALSE(iequals("\xc3\x96", "\xc3\xb6"));  // non-ASCII compares as sent
    EXPECT_EQ(ascii_lower("Example.ORG"), "example.org");
    EXPECT_EQ(ascii_lower("J\xc3\x96RG"), "j\xc3\x96rg");
}

}  // namespace
}  // namespace mxgate::core
