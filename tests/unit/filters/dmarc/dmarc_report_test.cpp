// aggregate_report_row(): the Appendix C row read back from a transaction's findings.
#include "filters/dmarc/dmarc_report.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::dmarc {
namespace {

TEST(DmarcReport, RowFromTheFindings) {
    const std::vector<core::Finding> findings = {
        {"spf", core::Outcome::softfail, {{"identity", "mailfrom"}, {"domain", "bounce.example.net"}}, ""},
        {"dkim", core::Outcome::pass, {{"domain", "esp.example"}}, ""},
        {"dkim", core::Outcome::fail, {{"domain", "example.org"}}, ""},
        {"dmarc",
         core::Outcome::fail,
         {{"header_from", "example.org"}, {"policy", "reject"}, {"disposition", "quarantine"},
          {"policy_domain", "example.org"}, {"spf_aligned", "no"}, {"dkim_aligned", "no"}, {"sampled_out", "yes"}},
         ""},
    };
    const auto row = aggregate_report_row(findings, boost::asio::ip::make_address("192.0.2.7"));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->source_ip, "192.0.2.7");
    EXPECT_EQ(row->header_from, "example.org");
    EXPECT_EQ(row->envelope_from, "bounce.example.net");
    EXPECT_EQ(row->result, core::Outcome::fail);
    EXPECT_EQ(row->disposition, "quarantine");
    EXPECT_EQ(row->policy, "reject");
    EXPECT_TRUE(row->sampled_out);
    EXPECT_FALSE(row->dkim_aligned);
    EXPECT_EQ(row->spf_result, "softfail");
    EXPECT_EQ(row->dkim, (std::vector<std::pair<std::string, std::string>>{{"esp.example", "pass"},
                                                                          {"example.org", "fail"}}));
}

TEST(DmarcReport, NoRowWithoutADmarcFindingNamingADomain) {
    EXPECT_FALSE(aggregate_report_row({}, std::nullopt));
    const std::vector<core::Finding> bad_from = {
        {"dmarc", core::Outcome::permerror, {{"error", "multiple_from"}, {"disposition", "none"}}, ""}};
    EXPECT_FALSE(aggregate_report_row(bad_from, std::nullopt));
}

}  // namespace
}  // namespace mxgate::filters::dmarc
