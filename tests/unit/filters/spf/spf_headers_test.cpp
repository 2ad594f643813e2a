// Received-SPF (RFC 7208 §9.1) and the spf resinfo of Authentication-Results
// (RFC 8601 §2.7.2): exact strings, folding, and quoting of hostile HELO/sender text.
#include "filters/spf/spf_headers.hpp"

#include <gtest/gtest.h>

namespace mxgate::filters::spf {
namespace {

namespace ip = boost::asio::ip;

SpfVerdict verdict(SpfResult result, Identity identity, std::string sender, std::string domain) {
    SpfVerdict v;
    v.result = result;
    v.identity = identity;
    v.sender = std::move(sender);
    v.domain = std::move(domain);
    return v;
}

// Every line ends in CRLF, is at most 78 octets, and continuation lines start with WSP.
void expect_well_formed(const std::string& header) {
    ASSERT_GE(header.size(), 2u);
    EXPECT_EQ(header.substr(header.size() - 2), "\r\n");
    std::size_t start = 0;
    bool first = true;
    while (start < header.size()) {
        const auto end = header.find("\r\n", start);
        ASSERT_NE(end, std::string::npos);
        const std::string line = header.substr(start, end - start);
        EXPECT_LE(line.size(), 78u) << line;
        EXPECT_EQ(line.find('\n'), std::string::npos);
        EXPECT_EQ(line.find('\r'), std::string::npos);
        if (!first) EXPECT_TRUE(line[0] == '\t' || line[0] == ' ') << line;
        first = false;
        start = end + 2;
    }
}

TEST(SpfHeaders, ReceivedSpfPass) {
    const auto h = received_spf_header(verdict(SpfResult::pass, Identity::mailfrom, "x@example.org", "example.org"),
                                       ip::make_address("192.0.2.1"), "mail.example.org", "mx.example.net");
    EXPECT_EQ(h,
              "Received-SPF: pass (mx.example.net: domain of x@example.org designates\r\n"
              "\t192.0.2.1 as permitted sender) client-ip=192.0.2.1;\r\n"
              "\tenvelope-from=\"x@example.org\"; helo=mail.example.org;\r\n"
              "\treceiver=mx.example.net; identity=mailfrom\r\n");
    expect_well_formed(h);
}

TEST(SpfHeaders, ReceivedSpfEachResultAndHelo) {
    for (auto result : {SpfResult::pass, SpfResult::fail, SpfResult::softfail, SpfResult::neutral, SpfResult::none,
                        SpfResult::temperror, SpfResult::permerror}) {
        const auto h = received_spf_header(
            verdict(result, Identity::helo, "postmaster@mail.example.org", "mail.example.org"),
            ip::make_address("2001:db8::1"), "mail.example.org", "mx.example.net");
        EXPECT_EQ(h.rfind("Received-SPF: " + std::string(to_string(result)) + " (mx.example.net: ", 0), 0u) << h;
        EXPECT_NE(h.find("identity=helo"), std::string::npos);
        EXPECT_NE(h.find("client-ip=2001:db8::1;"), std::string::npos);
        expect_well_formed(h);
    }
}

TEST(SpfHeaders, HostileTextIsQuoted) {
    const auto h = received_spf_header(
        verdict(SpfResult::fail, Identity::mailfrom, "\"a b\\\"\r\nX-Evil: 1\"@ex(am)ple.org", "ex(am)ple.org"),
        ip::make_address("192.0.2.1"), "bad helo\r\nX-Evil: 2", "mx.example.net");
    expect_well_formed(h);
    EXPECT_EQ(h.find("\r\nX-Evil"), std::string::npos);
    EXPECT_NE(h.find("helo=\"bad helo??X-Evil: 2\";"), std::string::npos) << h;
    EXPECT_NE(h.find("ex\\(am\\)ple.org"), std::string::npos) << h;  // escaped inside the comment
}

TEST(SpfHeaders, LongHeloIsCutSoEveryLineFits) {
    const std::string helo(2000, 'h');
    const auto h = received_spf_header(verdict(SpfResult::none, Identity::helo, "postmaster@" + helo, helo),
                                       ip::make_address("192.0.2.1"), helo, "mx.example.net");
    for (std::size_t start = 0, end; (end = h.find("\r\n", start)) != std::string::npos; start = end + 2)
        EXPECT_LE(end - start, 998u) << "RFC 5322 2.1.1";
    EXPECT_NE(h.find("helo=" + std::string(255, 'h') + ";"), std::string::npos);
    EXPECT_EQ(spf_resinfo(verdict(SpfResult::none, Identity::helo, "postmaster@" + helo, helo), helo),
              "spf=none smtp.helo=" + std::string(255, 'h'));
}

TEST(SpfHeaders, AuthenticationResults) {
    const auto mailfrom = verdict(SpfResult::pass, Identity::mailfrom, "x@example.org", "example.org");
    EXPECT_EQ(spf_resinfo(mailfrom, "mail.example.org"), "spf=pass smtp.mailfrom=x@example.org");
    const auto helo = verdict(SpfResult::none, Identity::helo, "postmaster@mail.example.org", "mail.example.org");
    EXPECT_EQ(spf_resinfo(helo, "mail.example.org"), "spf=none smtp.helo=mail.example.org");
    const auto odd = verdict(SpfResult::fail, Identity::mailfrom, "a b@example.org", "example.org");
    EXPECT_EQ(spf_resinfo(odd, "h"), "spf=fail smtp.mailfrom=\"a b@example.org\"");
}

}  // namespace
}  // namespace mxgate::filters::spf
