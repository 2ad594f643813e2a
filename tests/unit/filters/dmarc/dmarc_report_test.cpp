// aggregate_report_row(): the Appendix C row read back from a transaction's findings,
// and report_row_json(): the line the state store keeps.
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

TEST(DmarcReport, AnUnsignedMessageHasNoDkimResult) {  // Appendix C: <dkim> per signature, none here
    const std::vector<core::Finding> findings = {
        {"dkim", core::Outcome::none, {}, "no signature"},
        {"dmarc", core::Outcome::fail, {{"header_from", "example.org"}, {"policy", "none"}}, ""},
    };
    const auto row = aggregate_report_row(findings, std::nullopt);
    ASSERT_TRUE(row);
    EXPECT_TRUE(row->dkim.empty());
    EXPECT_EQ(row->source_ip, "");
}

TEST(DmarcReport, NoRowWithoutADmarcFindingNamingADomain) {
    EXPECT_FALSE(aggregate_report_row({}, std::nullopt));
    const std::vector<core::Finding> bad_from = {
        {"dmarc", core::Outcome::permerror, {{"error", "multiple_from"}, {"disposition", "none"}}, ""}};
    EXPECT_FALSE(aggregate_report_row(bad_from, std::nullopt));
}

TEST(DmarcReport, RowAsJson) {
    AggregateReportRow row;
    row.source_ip = "2001:db8::7";
    row.header_from = "example.org";
    row.envelope_from = "bounce.example.net";
    row.result = core::Outcome::fail;
    row.disposition = "reject";
    row.spf_aligned = true;
    row.policy = "reject";
    row.policy_domain = "example.org";
    row.spf_result = "pass";
    row.dkim = {{"esp.example", "pass"}, {"example.org", "fail"}};
    EXPECT_EQ(report_row_json(row),
              R"({"source_ip":"2001:db8::7","header_from":"example.org","envelope_from":"bounce.example.net",)"
              R"("result":"fail","disposition":"reject","override":"","dkim_aligned":false,"spf_aligned":true,"sampled_out":false,)"
              R"("policy":"reject","policy_domain":"example.org","spf_result":"pass",)"
              R"("dkim":[{"domain":"esp.example","result":"pass"},{"domain":"example.org","result":"fail"}]})");
}

TEST(DmarcReport, ConcludedRowNamesTheDispositionApplied) {
    AggregateReportRow row;
    row.disposition = "reject";
    const auto refused = concluded_row(row, MessageFate::refused);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->disposition, "reject");
    EXPECT_EQ(refused->override_reason, "");
    // The policy let it through after all: what was applied, and that it was local policy.
    const auto delivered = concluded_row(row, MessageFate::delivered);
    ASSERT_TRUE(delivered);
    EXPECT_EQ(delivered->disposition, "none");
    EXPECT_EQ(delivered->override_reason, "local_policy");
    row.disposition = "none";
    const auto quarantined = concluded_row(row, MessageFate::quarantined);
    ASSERT_TRUE(quarantined);
    EXPECT_EQ(quarantined->disposition, "quarantine");
    EXPECT_EQ(quarantined->override_reason, "local_policy");
    EXPECT_FALSE(concluded_row(row, MessageFate::deferred));  // it comes again; its row then
}

TEST(DmarcReport, JsonKeepsHostileTextOnOneLine) {
    AggregateReportRow row;
    row.header_from = std::string("a\"b\\c\r\n\x01") + "d\xc3\xa4";
    const std::string json = report_row_json(row);
    EXPECT_NE(json.find(R"("header_from":"a\"b\\c\u000d\u000a\u0001d\u00c3\u00a4")"), std::string::npos) << json;
    EXPECT_EQ(json.find('\n'), std::string::npos);
    EXPECT_EQ(json.find(R"("dkim":[])"), json.size() - 10);
}

}  // namespace
}  // namespace mxgate::filters::dmarc
