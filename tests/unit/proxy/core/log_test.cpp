#include "proxy/core/log.hpp"

#include <gtest/gtest.h>

namespace mxgate::log {
namespace {

// Restores the process-wide format whatever the test did.
struct FormatGuard {
    bool saved = json_format();
    ~FormatGuard() { set_json_format(saved); }
};

TEST(LogLine, LogfmtQuotesValuesAPeerCouldUseToForgeAField) {
    FormatGuard guard;
    set_json_format(false);
    EXPECT_EQ(Line("helo").add("session", "ab12").add("helo", "a\"b\\c=d event=forged").str(),
              "event=helo session=ab12 helo=\"a\\\"b\\\\x5cc=d event=forged\"");
    EXPECT_EQ(Line("x").add("empty", "").add("n", 42LL).str(), "event=x empty=\"\" n=42");
}

TEST(LogLine, JsonKeepsPeerTextInsideOneStringValue) {
    FormatGuard guard;
    set_json_format(true);
    EXPECT_EQ(Line("helo").add("helo", "a\"b\\c\r\n{").str(),
              "{\"event\":\"helo\",\"helo\":\"a\\\"b\\\\x5cc\\\\x0d\\\\x0a{\"}");
}

TEST(LogLine, CutsLongValues) {
    FormatGuard guard;
    set_json_format(false);
    const std::string line = Line("x").add("v", std::string(5000, 'a')).str();
    EXPECT_LT(line.size(), 1100u);
    EXPECT_NE(line.find("..."), std::string::npos);
}

}  // namespace
}  // namespace mxgate::log
