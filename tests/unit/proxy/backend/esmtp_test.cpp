// Capabilities, MAIL/RCPT parameter filtering and XCLIENT/XFORWARD lines.
#include "proxy/backend/esmtp.hpp"

#include <gtest/gtest.h>

namespace mxgate::backend {
namespace {

core::Reply ehlo(std::vector<std::string> lines) { return core::Reply{250, "", std::move(lines)}; }

TEST(Capabilities, KeywordsAreCaseInsensitiveAndGreetingIgnored) {
    Capabilities caps = parse_capabilities(ehlo({"PIPELINING is my name", "pipelining", "size", "Xforward name addr"}));
    EXPECT_TRUE(caps.pipelining);
    EXPECT_TRUE(caps.size);
    EXPECT_EQ(caps.max_size, 0u);
    EXPECT_TRUE(caps.xforward);
    EXPECT_EQ(caps.xforward_attributes, (std::vector<std::string>{"NAME", "ADDR"}));
    EXPECT_FALSE(parse_capabilities(ehlo({"PIPELINING"})).pipelining);  // first line is the greeting
    EXPECT_EQ(parse_capabilities(ehlo({"x", "SIZE 99999999999999999999999"})).max_size, 0u);
}

TEST(Xtext, EncodesSpecials) {
    EXPECT_EQ(xtext_encode("plain.example"), "plain.example");
    EXPECT_EQ(xtext_encode("a b+c=d"), "a+20b+2Bc+3Dd");
    EXPECT_EQ(xtext_encode("\x7f\xc3\xa9"), "+7F+C3+A9");
}

TEST(MailCommand, DropsWhatIsNotAdvertised) {
    Envelope envelope;
    envelope.sender = core::Address{"a", "b.example"};
    envelope.params = {{"SIZE", "10"}, {"BODY", "8BITMIME"}, {"RET", "HDRS"}, {"ENVID", "x+2B"}, {"AUTH", "<>"},
                       {"SMTPUTF8", ""}};
    Capabilities none;
    EXPECT_EQ(mail_command(envelope, none), "MAIL FROM:<a@b.example>\r\n");
    Capabilities all;
    all.size = all.eightbitmime = all.dsn = all.smtputf8 = true;
    EXPECT_EQ(mail_command(envelope, all),
              "MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME RET=HDRS ENVID=x+2B SMTPUTF8\r\n");
    Envelope binary;
    binary.params = {{"BODY", "BINARYMIME"}};
    EXPECT_EQ(mail_command(binary, all), "MAIL FROM:<>\r\n");  // null sender; BINARYMIME needs BDAT
}

TEST(RcptCommand, DsnOnlyWhenAdvertised) {
    Recipient r{core::Address{"\"odd name\"", "example.net"}, {{"NOTIFY", "NEVER"}, {"ORCPT", "rfc822;x@y"}}};
    EXPECT_EQ(rcpt_command(r, Capabilities{}), "RCPT TO:<\"odd name\"@example.net>\r\n");
    Capabilities dsn;
    dsn.dsn = true;
    EXPECT_EQ(rcpt_command(r, dsn), "RCPT TO:<\"odd name\"@example.net> NOTIFY=NEVER ORCPT=rfc822;x@y\r\n");
}

ClientInfo client(const char* address) {
    ClientInfo c;
    c.address = boost::asio::ip::make_address(address);
    c.port = 25000;
    c.helo = "helo name";
    c.esmtp = false;
    return c;
}

TEST(Identity, Addresses) {
    EXPECT_EQ(identity_address(boost::asio::ip::make_address("192.0.2.1")), "192.0.2.1");
    EXPECT_EQ(identity_address(boost::asio::ip::make_address("2001:db8::1")), "IPV6:2001:db8::1");
    EXPECT_EQ(identity_address(boost::asio::ip::make_address("::ffff:192.0.2.1")), "192.0.2.1");
}

TEST(Identity, OnlyListedAttributes) {
    auto lines = identity_commands("XFORWARD", client("2001:db8::1"), {"ADDR", "HELO", "PROTO"});
    EXPECT_EQ(lines, (std::vector<std::string>{"XFORWARD ADDR=IPV6:2001:db8::1 PROTO=SMTP HELO=helo+20name\r\n"}));
    EXPECT_TRUE(identity_commands("XCLIENT", client("192.0.2.1"), {"LOGIN"}).empty());
}

TEST(Identity, UnknownAddressIsUnavailable) {
    ClientInfo c = client("192.0.2.1");
    c.address.reset();  // a front-end's XCLIENT ADDR=[UNAVAILABLE]
    EXPECT_EQ(identity_commands("XFORWARD", c, {"ADDR"}), (std::vector<std::string>{"XFORWARD ADDR=[UNAVAILABLE]\r\n"}));
    EXPECT_EQ(c.address_text(), "unknown");
}

TEST(Identity, NameIsUnknownUnlessAFrontEndGaveIt) {
    ClientInfo c = client("192.0.2.1");
    EXPECT_EQ(identity_commands("XCLIENT", c, {"NAME"}), (std::vector<std::string>{"XCLIENT NAME=[UNAVAILABLE]\r\n"}));
    c.name = "relay+1.example";  // from the front-end's XCLIENT NAME
    EXPECT_EQ(identity_commands("XCLIENT", c, {"NAME"}), (std::vector<std::string>{"XCLIENT NAME=relay+2B1.example\r\n"}));
}

TEST(Identity, SplitsLongLines) {
    ClientInfo c = client("192.0.2.1");
    c.helo = std::string(300, 'h');
    c.session_id = std::string(300, 'i');
    auto lines = identity_commands("XFORWARD", c, {"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"});
    ASSERT_GE(lines.size(), 2u);
    std::string all;
    for (const auto& line : lines) {
        EXPECT_LE(line.size(), 500u);
        EXPECT_EQ(line.rfind("XFORWARD ", 0), 0u);
        all += line;
    }
    EXPECT_NE(all.find("HELO=" + std::string(300, 'h')), std::string::npos);
    EXPECT_NE(all.find("IDENT=" + std::string(300, 'i')), std::string::npos);

    // A value that cannot fit on any line is sent as unknown.
    c.helo = std::string(600, 'h');
    lines = identity_commands("XCLIENT", c, {"HELO"});
    EXPECT_EQ(lines, (std::vector<std::string>{"XCLIENT HELO=[UNAVAILABLE]\r\n"}));
}

}  // namespace
}  // namespace mxgate::backend
