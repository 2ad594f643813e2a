#include "proxy/session/received.hpp"

#include <gtest/gtest.h>

namespace mxgate::session {
namespace {

ReceivedInfo sample() {
    return {"client.test", "192.0.2.1", "", "mx.test", true, false, "", "", "abc.1", "x@example.org",
            std::chrono::system_clock::from_time_t(1795443907)};
}

TEST(ReceivedTest, PlainEsmtpWithOneRecipient) {
    EXPECT_EQ(received_header(sample()),
              "Received: from client.test (unknown [192.0.2.1])\r\n"
              "\tby mx.test (mxgate) with ESMTP id abc.1\r\n"
              "\tfor <x@example.org>;\r\n"
              "\t" + rfc5322_date(sample().when) + "\r\n");
}

TEST(ReceivedTest, TlsAndUtf8ProtocolNames) {
    ReceivedInfo info = sample();
    info.tls_version = "TLSv1.3";
    info.tls_cipher = "TLS_AES_256_GCM_SHA384";
    info.smtputf8 = true;
    info.recipient.clear();
    std::string h = received_header(info);
    EXPECT_NE(h.find("(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)"), std::string::npos);
    EXPECT_NE(h.find("with UTF8SMTPS id"), std::string::npos);
    EXPECT_EQ(h.find("for <"), std::string::npos);
}

TEST(ReceivedTest, EveryContinuationLineIsFolded) {
    std::string h = received_header(sample());
    for (std::size_t at = h.find("\r\n"); at + 2 < h.size(); at = h.find("\r\n", at + 2))
        EXPECT_EQ(h[at + 2], '\t') << "unfolded line after offset " << at;
}

TEST(ReceivedTest, ConfirmedClientNameReplacesUnknown) {
    ReceivedInfo info = sample();
    info.client_name = "mail.client.test";
    EXPECT_EQ(received_header(info).rfind("Received: from client.test (mail.client.test [192.0.2.1])\r\n", 0), 0u);
}

TEST(ReceivedTest, ClientNameThatIsNotAPlainHostNameIsUnknown) {
    ReceivedInfo info = sample();
    for (const char* hostile : {"evil) (by forged", "a\r\nX-Injected: 1", "name with space", "a\\b"}) {
        info.client_name = hostile;
        EXPECT_EQ(received_header(info).rfind("Received: from client.test (unknown [192.0.2.1])\r\n", 0), 0u) << hostile;
    }
}

TEST(ReceivedTest, HeloIsNeuteredAsPostfixDoes) {
    ReceivedInfo info = sample();
    info.helo = "x(mail.example.org[10.0.0.1]) <a@b>;\"q\"\\";
    EXPECT_EQ(received_header(info).rfind("Received: from x?mail.example.org[10.0.0.1]???a?b???q??"
                                          " (unknown [192.0.2.1])\r\n", 0), 0u)
        << received_header(info);
    info.helo = "a\r\nX-Injected: 1\tb\xc3\xa9";
    EXPECT_EQ(received_header(info).rfind("Received: from a??X-Injected:?1?b?? (unknown", 0), 0u);
    info.helo = "[IPv6:2001:db8::1]";
    EXPECT_EQ(received_header(info).rfind("Received: from [IPv6:2001:db8::1] (unknown", 0), 0u);
}

TEST(ReceivedTest, LongHeloIsCutAndEveryLineFits) {
    ReceivedInfo info = sample();
    info.helo = std::string(2000, 'a');
    info.client_name = std::string(253, 'b');
    const std::string h = received_header(info);
    EXPECT_EQ(h.rfind("Received: from " + std::string(255, 'a') + " (", 0), 0u);
    for (std::size_t start = 0, end; (end = h.find("\r\n", start)) != std::string::npos; start = end + 2)
        EXPECT_LE(end - start, 998u) << "RFC 5322 2.1.1";
}

TEST(ReceivedTest, RecipientThatNeedsQuotingIsLeftOut) {
    ReceivedInfo info = sample();
    for (const char* hostile : {"\"a>b\"@example.org", "\"x;y\"@example.org", "a(b)@example.org", "\"a b\"@x"}) {
        info.recipient = hostile;
        EXPECT_EQ(received_header(info).find("for <"), std::string::npos) << hostile;
    }
    info.recipient = std::string(300, 'a') + "@example.org";
    EXPECT_EQ(received_header(info).find("for <"), std::string::npos) << "longer than any path";
    info.recipient = "j\xc3\xb6rg@example.org";
    EXPECT_EQ(received_header(info).find("for <"), std::string::npos) << "UTF-8 only in a UTF8SMTP message";
    info.smtputf8 = true;
    EXPECT_NE(received_header(info).find("for <j\xc3\xb6rg@example.org>"), std::string::npos);
}

TEST(ReceivedTest, DateIsRfc5322) {
    EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
}

}  // namespace
}  // namespace mxgate::session
