// XCLIENT: the shape parse_command accepts, then decode_xclient's table of
// attributes (Postfix XCLIENT_README rules, xtext values).
#include "proxy/smtp/xclient.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace mxgate::smtp {
namespace {

// parse_command, then decode_xclient; the error text, or "" when it decoded.
std::string error_of(const std::string& line, XclientAttributes* out = nullptr) {
    auto parsed = parse_command(line);
    const auto* command = std::get_if<Command>(&parsed);
    if (command == nullptr) return "parse error";
    EXPECT_EQ(command->verb, Verb::xclient) << line;
    auto decoded = decode_xclient(command->params);
    if (const auto* bad = std::get_if<XclientError>(&decoded)) return bad->text;
    if (out != nullptr) *out = std::get<XclientAttributes>(decoded);
    return "";
}

TEST(XclientParse, Shape) {
    for (const char* line : {"XCLIENT", "XCLIENT ", "XCLIENT ADDR", "XCLIENT ADDR=", "XCLIENT =1.2.3.4",
                             "XCLIENT ADDR=1.2.3.4 junk", "XCLIENT AD-DR=1", "XCLIENT A1=1"}) {
        auto parsed = parse_command(line);
        ASSERT_TRUE(std::holds_alternative<CommandError>(parsed)) << line;
        EXPECT_EQ(std::get<CommandError>(parsed), CommandError::syntax) << line;
    }
    // Non-ASCII and controls are refused before any verb (500 5.5.2).
    EXPECT_EQ(std::get<CommandError>(parse_command("XCLIENT HELO=\xc3\xa4")), CommandError::bad_character);
    auto parsed = parse_command("xclient  addr=192.0.2.7   Helo=relay.example ");
    const auto& command = std::get<Command>(parsed);
    EXPECT_EQ(command.verb, Verb::xclient);
    EXPECT_EQ(command.params, (std::vector<EsmtpParam>{{"ADDR", "192.0.2.7"}, {"HELO", "relay.example"}}));
}

TEST(XclientDecode, Accepted) {
    XclientAttributes a;
    ASSERT_EQ(error_of("XCLIENT ADDR=192.0.2.7 PORT=4711 NAME=relay.example HELO=a+2Bb.example PROTO=esmtp", &a), "");
    EXPECT_EQ(a.address, "192.0.2.7");
    EXPECT_EQ(a.port, 4711);
    EXPECT_EQ(a.name, "relay.example");
    EXPECT_EQ(a.helo, "a+b.example");  // xtext decoded
    EXPECT_EQ(a.proto, "ESMTP");

    ASSERT_EQ(error_of("XCLIENT addr=IPv6:2001:db8::1 port=0 proto=SMTP", &a), "");
    EXPECT_EQ(a.address, "2001:db8::1");
    EXPECT_EQ(a.port, 0);
    EXPECT_EQ(a.proto, "SMTP");
    EXPECT_EQ(a.name, std::nullopt) << "not given";
    EXPECT_EQ(a.helo, std::nullopt);

    ASSERT_EQ(error_of("XCLIENT ADDR=IPV6:::ffff:192.0.2.1 PORT=65535", &a), "");
    EXPECT_EQ(a.address, "::ffff:192.0.2.1");
    EXPECT_EQ(a.port, 65535);

    // Unknown values: given, but empty (ADDR: keep the current address).
    ASSERT_EQ(error_of("XCLIENT ADDR=[UNAVAILABLE] PORT=[TEMPUNAVAIL] NAME=[UNAVAILABLE] HELO=[TEMPUNAVAIL] "
                       "PROTO=[UNAVAILABLE]", &a), "");
    EXPECT_EQ(a.address, "");
    EXPECT_EQ(a.port, 0);
    EXPECT_EQ(a.name, "");
    EXPECT_EQ(a.helo, "");
    EXPECT_EQ(a.proto, "");

    // The last of repeated attributes wins; 255 octets is the longest name.
    ASSERT_EQ(error_of("XCLIENT HELO=first HELO=" + std::string(255, 'h'), &a), "");
    EXPECT_EQ(a.helo, std::string(255, 'h'));
}

TEST(XclientDecode, Refused) {
    const std::vector<std::pair<std::string, std::string>> table = {
        {"XCLIENT LOGIN=joe", "Error: unsupported XCLIENT attribute LOGIN"},
        {"XCLIENT ADDR=192.0.2.7 DESTADDR=192.0.2.1", "Error: unsupported XCLIENT attribute DESTADDR"},
        {"XCLIENT DESTPORT=25", "Error: unsupported XCLIENT attribute DESTPORT"},
        {"XCLIENT reverse_name=x.example", "Error: unsupported XCLIENT attribute REVERSE_NAME"},
        {"XCLIENT ADDR=192.0.2", "Error: bad XCLIENT ADDR value"},
        {"XCLIENT ADDR=192.0.2.256", "Error: bad XCLIENT ADDR value"},
        {"XCLIENT ADDR=010.0.0.1", "Error: bad XCLIENT ADDR value"},
        {"XCLIENT ADDR=2001:db8::1", "Error: bad XCLIENT ADDR value"},   // IPv6 needs the IPV6: tag
        {"XCLIENT ADDR=IPV6:192.0.2.1", "Error: bad XCLIENT ADDR value"},
        {"XCLIENT ADDR=IPV6:", "Error: bad XCLIENT ADDR value"},
        {"XCLIENT ADDR=192.0.2.7+00junk", "Error: bad XCLIENT ADDR value"},  // a NUL must not cut the address
        {"XCLIENT ADDR=host.example", "Error: bad XCLIENT ADDR value"},
        {"XCLIENT PORT=65536", "Error: bad XCLIENT PORT value"},
        {"XCLIENT PORT=-1", "Error: bad XCLIENT PORT value"},
        {"XCLIENT PORT=123456", "Error: bad XCLIENT PORT value"},
        {"XCLIENT HELO=a+20b", "Error: bad XCLIENT HELO value"},    // a space
        {"XCLIENT HELO=a+2b", "Error: bad XCLIENT HELO value"},     // not xtext (lower-case hex)
        {"XCLIENT HELO=a+C3+A4", "Error: bad XCLIENT HELO value"},  // not ASCII
        {"XCLIENT NAME=" + std::string(256, 'n'), "Error: bad XCLIENT NAME value"},
        {"XCLIENT NAME=a+0Ab", "Error: bad XCLIENT NAME value"},
        {"XCLIENT PROTO=LMTP", "Error: bad XCLIENT PROTO value"},
    };
    for (const auto& [line, expected] : table) EXPECT_EQ(error_of(line), expected) << line;
    EXPECT_EQ(std::get<XclientError>(decode_xclient({})).text, "Syntax: XCLIENT attribute=value...");
}

}  // namespace
}  // namespace mxgate::smtp
