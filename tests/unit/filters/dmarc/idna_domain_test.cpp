// ascii_domain(): UTF-8 From: domains to the A-labels DNS and DKIM use.
#include "filters/dmarc/idna_domain.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::dmarc {
namespace {

TEST(IdnaDomain, UnicodeLabelsBecomeALabels) {
    EXPECT_EQ(ascii_domain("b\xc3\xbc" "cher.example"), "xn--bcher-kva.example");
    EXPECT_EQ(ascii_domain("B\xc3\x9c" "CHER.example"), "xn--bcher-kva.example");  // UTS #46 mapping
    EXPECT_EQ(ascii_domain("mail.ex\xc3\xa4mple.co.uk"), "mail.xn--exmple-cua.co.uk");
}

TEST(IdnaDomain, AsciiIsUnchangedAndBadUtf8IsNoName) {
    EXPECT_EQ(ascii_domain("example.org"), "example.org");
    EXPECT_EQ(ascii_domain("_odd.example"), "_odd.example");  // not libidn2's to refuse
    EXPECT_EQ(ascii_domain("\xff\xfe.example"), std::nullopt);
}

}  // namespace
}  // namespace mxgate::filters::dmarc
