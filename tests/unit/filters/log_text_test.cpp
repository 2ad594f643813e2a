#include "filters/log_text.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters {
namespace {

TEST(FiltersLogText, EscapesAndCuts) {
    EXPECT_EQ(log_text("listed\r\n\x01"), "listed\\x0d\\x0a\\x01");
    EXPECT_EQ(log_text("a\\b"), "a\\x5cb");
    EXPECT_EQ(log_text(std::string(300, 'a'), 10), std::string(10, 'a') + "...");
}

}  // namespace
}  // namespace mxgate::filters
