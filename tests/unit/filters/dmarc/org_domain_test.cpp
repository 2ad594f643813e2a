// Organizational domains from Debian's Public Suffix List through libpsl: multi-
// label ICANN suffixes, wildcard and exception rules, and private-section entries.
#include "filters/dmarc/org_domain.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::dmarc {
namespace {

constexpr const char* debian_list = "/usr/share/publicsuffix/public_suffix_list.dafsa";

class OrgDomain : public ::testing::Test {
protected:
    void SetUp() override {
        const auto loaded = PublicSuffixList::shared(debian_list);
        ASSERT_TRUE(loaded.list) << loaded.error;
        list_ = loaded.list;
    }
    std::string org(std::string_view domain) const { return list_->organizational_domain(domain); }
    std::shared_ptr<const PublicSuffixList> list_;
};

TEST_F(OrgDomain, IcannSuffixes) {
    EXPECT_EQ(org("example.org"), "example.org");
    EXPECT_EQ(org("mail.example.org"), "example.org");
    EXPECT_EQ(org("a.b.example.co.uk"), "example.co.uk");  // never "the last two labels"
    EXPECT_EQ(org("example.co.uk"), "example.co.uk");
    EXPECT_EQ(org("a.b.example.com.au"), "example.com.au");
    EXPECT_EQ(org("x.example.unknowntld"), "example.unknowntld");  // the default rule "*"
}

TEST_F(OrgDomain, WildcardAndExceptionRules) {
    EXPECT_EQ(org("a.b.c.kawasaki.jp"), "b.c.kawasaki.jp");  // *.kawasaki.jp
    EXPECT_EQ(org("mail.city.kawasaki.jp"), "city.kawasaki.jp");  // !city.kawasaki.jp
}

TEST_F(OrgDomain, PrivateSectionSeparatesOwners) {
    EXPECT_EQ(org("x.user1.github.io"), "user1.github.io");
    EXPECT_NE(org("user1.github.io"), org("user2.github.io"));
}

TEST_F(OrgDomain, APublicSuffixIsItsOwnOrganizationalDomain) {
    EXPECT_EQ(org("co.uk"), "co.uk");
    EXPECT_EQ(org("github.io"), "github.io");
}

TEST_F(OrgDomain, LoadedOncePerPath) {
    EXPECT_EQ(PublicSuffixList::shared(debian_list).list, list_);
    const auto missing = PublicSuffixList::shared("/nonexistent/public_suffix_list.dafsa");
    EXPECT_FALSE(missing.list);
    EXPECT_NE(missing.error.find("/nonexistent/"), std::string::npos);
}

}  // namespace
}  // namespace mxgate::filters::dmarc
