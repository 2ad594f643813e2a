// parse_command: case tables in the style of Haraka's test/rfc1869.js, one table
// per concern: errors, simple verbs, paths, ESMTP parameters, BDAT, xtext.
#include "proxy/smtp/command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <ostream>
#include <variant>
#include <string>
#include <vector>

namespace mxgate::smtp {
namespace {

const char* error_name(CommandError e) {
    switch (e) {
    case CommandError::bad_character: return "bad_character";
    case CommandError::unrecognized: return "unrecognized";
    case CommandError::syntax: return "syntax";
    case CommandError::bad_address: return "bad_address";
    case CommandError::bad_parameter: return "bad_parameter";
    }
    return "?";
}

std::string describe(const ParseResult& r) {
    if (const auto* e = std::get_if<CommandError>(&r)) return std::string("error ") + error_name(*e);
    const auto& c = std::get<Command>(r);
    return "command verb=" + std::to_string(static_cast<int>(c.verb)) + " argument=" + c.argument +
           " address=" + c.address.str();
}

const Command* command_of(const ParseResult& r) { return std::get_if<Command>(&r); }

// A valid domain of exactly n octets: labels of 50 separated by dots.
std::string domain_of_length(std::size_t n) {
    std::string d;
    while (n - d.size() > 51) d += std::string(50, 'd') + '.';
    d += std::string(n - d.size(), 'd');
    return d;
}

// ---- lines that must fail, and how ----

struct ErrorCase {
    std::string line;
    CommandError error;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << testing::PrintToString(c.line); }

std::vector<ErrorCase> error_cases() {
    using E = CommandError;
    return {
        // Not a command word.
        {"", E::unrecognized},
        {" HELO x", E::unrecognized},
        {"HEL0 x", E::unrecognized},
        {"MAIL:FROM:<a@b>", E::unrecognized},
        {"123", E::unrecognized},
        {"X-FOO", E::unrecognized},
        // Characters: controls anywhere, non-ASCII outside an address.
        {std::string("NOOP\0", 5), E::bad_character},
        {std::string("MAIL FROM:<a\0@b>", 16), E::bad_character},
        {"NOOP\tx", E::bad_character},
        {"HELO\tx", E::bad_character},
        {"NOOP a\rb", E::bad_character},
        {"RCPT TO:<a@b>\x7f", E::bad_character},
        {"NO\xc3\x96P", E::bad_character},
        {"HELO b\xc3\xbc" "cher.example", E::bad_character},
        {"VRFY J\xc3\xbcrgen", E::bad_character},
        {"MAIL FROM:<a@b> X=\xc3\xbc", E::bad_character},
        {"MAIL FROM:<a@b>\xc3\xbc", E::bad_character},
        {"MAIL FR\xc3\x96M:<a@b>", E::bad_character},
        // HELO / EHLO need exactly one token.
        {"HELO", E::syntax},
        {"EHLO", E::syntax},
        {"EHLO   ", E::syntax},
        {"EHLO a b", E::syntax},
        {"HELO a b", E::syntax},
        // No argument allowed.
        {"DATA x", E::syntax},
        {"RSET x", E::syntax},
        {"QUIT now", E::syntax},
        {"STARTTLS x", E::syntax},
        // MAIL / RCPT framing.
        {"MAIL", E::syntax},
        {"MAIL FROM", E::syntax},
        {"MAIL FROM:", E::syntax},
        {"MAIL FROM :<a@b>", E::syntax},
        {"MAIL  FROM:<a@b>", E::syntax},
        {"MAIL TO:<a@b>", E::syntax},
        {"RCPT FROM:<a@b>", E::syntax},
        {"RCPT TO", E::syntax},
        {"MAIL FROM:<a@b>x", E::syntax},
        {"MAIL FROM:<a@b>>", E::syntax},
        // Paths.
        {"MAIL FROM:a@b", E::bad_address},
        {"MAIL FROM:  <a@b>", E::bad_address},
        {"MAIL FROM:<a@b", E::bad_address},
        {"MAIL FROM:<a>", E::bad_address},
        {"MAIL FROM:<Postmaster>", E::bad_address},
        {"RCPT TO:<>", E::bad_address},
        {"MAIL FROM:<@>", E::bad_address},
        {"MAIL FROM:<a@>", E::bad_address},
        {"MAIL FROM:<@b>", E::bad_address},
        {"MAIL FROM:<a@@b>", E::bad_address},
        {"MAIL FROM:<a b@c>", E::bad_address},
        {"MAIL FROM:<.a@b>", E::bad_address},
        {"MAIL FROM:<a.@b>", E::bad_address},
        {"MAIL FROM:<a..b@c>", E::bad_address},
        {"MAIL FROM:<a(b)@c>", E::bad_address},
        {"MAIL FROM:<a,b@c>", E::bad_address},
        {"MAIL FROM:<a@b..c>", E::bad_address},
        {"MAIL FROM:<a@.b>", E::bad_address},
        {"MAIL FROM:<a@b.>", E::bad_address},
        {"MAIL FROM:<a@-b.c>", E::bad_address},
        {"MAIL FROM:<a@b-.c>", E::bad_address},
        {"MAIL FROM:<a@b_c.d>", E::bad_address},
        {"MAIL FROM:<a@b c>", E::bad_address},
        {"MAIL FROM:<\"a@b>", E::bad_address},
        {"MAIL FROM:<\"a\"b@c>", E::bad_address},
        {"MAIL FROM:<\"a\\\"@b>", E::bad_address},
        {"RCPT TO:<Postmaster@>", E::bad_address},
        {"RCPT TO:<\"Postmaster\">", E::bad_address},
        {"RCPT TO:<@a:Postmaster>", E::bad_address},
        {"RCPT TO:<Postmaster.x>", E::bad_address},
        {"RCPT TO:<@a,b:c@d>", E::bad_address},
        {"RCPT TO:<@a:@b:c@d>", E::bad_address},
        {"RCPT TO:<@a;@b:c@d>", E::bad_address},
        {"RCPT TO:<@[1.2.3.4]:c@d>", E::bad_address},
        {"RCPT TO:<a@[1.2.3]>", E::bad_address},
        {"RCPT TO:<a@[1.2.3.256]>", E::bad_address},
        {"RCPT TO:<a@[1.2.3.4.5]>", E::bad_address},
        {"RCPT TO:<a@[1.2.3.4>", E::bad_address},
        {"RCPT TO:<a@[]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:1:2:3:4:5:6:7]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:1:2:3:4:5:6:7:8:9]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:1:2:3:4:5:6:7::]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:1::2::3]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:12345::1]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:g::1]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:1:2:3:4:5:6:7:1.2.3.4]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:1:2:3:4:5::1.2.3.4]>", E::bad_address},
        {"RCPT TO:<a@[IPv6:::1.2.3]>", E::bad_address},
        {"RCPT TO:<a@[x-tag:stuff]>", E::bad_address},
        {"RCPT TO:<a@[1.2.3.4]x>", E::bad_address},
        // UTF-8 must be well formed (RFC 3629).
        {"MAIL FROM:<\xff@b>", E::bad_address},
        {"MAIL FROM:<j\xc3@b>", E::bad_address},
        {"MAIL FROM:<\xc0\xaf@b>", E::bad_address},          // overlong "/"
        {"MAIL FROM:<\xe0\x80\xaf@b>", E::bad_address},      // overlong
        {"MAIL FROM:<\xed\xa0\x80@b>", E::bad_address},      // surrogate U+D800
        {"MAIL FROM:<\xf4\x90\x80\x80@b>", E::bad_address},  // above U+10FFFF
        {"MAIL FROM:<a@b\x80.c>", E::bad_address},
        {"MAIL FROM:<\"\xc3\"@b>", E::bad_address},
        // Length limits: RFC 5321 §4.5.3.1.
        {"MAIL FROM:<" + std::string(65, 'a') + "@b>", E::bad_address},
        {"MAIL FROM:<a@" + domain_of_length(256) + ">", E::bad_address},
        {"MAIL FROM:<" + std::string(64, 'a') + "@" + domain_of_length(190) + ">", E::bad_address},
        {"MAIL FROM:<a@" + std::string(64, 'd') + ".com>", E::bad_address},
        // Parameters.
        {"MAIL FROM:<a@b> =x", E::bad_parameter},
        {"MAIL FROM:<a@b> -X", E::bad_parameter},
        {"MAIL FROM:<a@b> X_Y", E::bad_parameter},
        {"MAIL FROM:<a@b> SIZE=", E::bad_parameter},
        {"MAIL FROM:<a@b> A=b=c", E::bad_parameter},
        {"MAIL FROM:<a@b> SIZE=1 size=2", E::bad_parameter},
        {"RCPT TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER", E::bad_parameter},
        {"MAIL FROM:<a@b> X:=1", E::bad_parameter},
        // BDAT.
        {"BDAT", E::syntax},
        {"BDAT x", E::syntax},
        {"BDAT -1", E::syntax},
        {"BDAT 1x", E::syntax},
        {"BDAT 10 LAST x", E::syntax},
        {"BDAT 10 FIRST", E::syntax},
        {"BDAT 12345678901234567890", E::syntax},
        {"BDAT LAST", E::syntax},
    };
}

class CommandErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(CommandErrors, Rejected) {
    const ErrorCase& c = GetParam();
    const ParseResult r = parse_command(c.line);
    const auto* error = std::get_if<CommandError>(&r);
    ASSERT_NE(error, nullptr) << describe(r);
    EXPECT_EQ(error_name(*error), std::string(error_name(c.error)));
}

INSTANTIATE_TEST_SUITE_P(Table, CommandErrors, testing::ValuesIn(error_cases()));

// ---- verbs and their arguments ----

struct VerbCase {
    std::string line;
    Verb verb;
    std::string argument;
};

void PrintTo(const VerbCase& c, std::ostream* os) { *os << testing::PrintToString(c.line); }

std::vector<VerbCase> verb_cases() {
    return {
        {"HELO mx.example", Verb::helo, "mx.example"},
        {"helo mx.example", Verb::helo, "mx.example"},
        {"EHLO mx.example", Verb::ehlo, "mx.example"},
        {"eHlO [192.0.2.1]", Verb::ehlo, "[192.0.2.1]"},
        {"EHLO under_score!", Verb::ehlo, "under_score!"},  // lenient: policy judges the name
        {"EHLO mx.example ", Verb::ehlo, "mx.example"},
        {"EHLO  mx.example", Verb::ehlo, "mx.example"},
        {"DATA", Verb::data, ""},
        {"data", Verb::data, ""},
        {"DATA ", Verb::data, ""},
        {"RSET", Verb::rset, ""},
        {"QUIT", Verb::quit, ""},
        {"STARTTLS", Verb::starttls, ""},
        {"starttls", Verb::starttls, ""},
        {"NOOP", Verb::noop, ""},
        {"NOOP hello there", Verb::noop, "hello there"},
        {"HELP", Verb::help, ""},
        {"HELP MAIL", Verb::help, "MAIL"},
        {"VRFY", Verb::vrfy, ""},
        {"VRFY <postmaster@example.org>", Verb::vrfy, "<postmaster@example.org>"},
        {"EXPN staff", Verb::expn, "staff"},
        {"AUTH PLAIN AGVtYWlsAHBhc3M=", Verb::unknown, "PLAIN AGVtYWlsAHBhc3M="},
        {"TURN", Verb::unknown, ""},
        {"ETRN example.org", Verb::unknown, "example.org"},
        {"SEND FROM:<a@b>", Verb::unknown, "FROM:<a@b>"},
        {"SOML FROM:<a@b>", Verb::unknown, "FROM:<a@b>"},
        {"SAML FROM:<a@b>", Verb::unknown, "FROM:<a@b>"},
        {"XCLIENT ADDR=192.0.2.1", Verb::xclient, "ADDR=192.0.2.1"},
        {"xclient  helo=a+2Bb.example", Verb::xclient, "helo=a+2Bb.example"},
        {"XFORWARD NAME=x", Verb::unknown, "NAME=x"},
        {"FOOBAR", Verb::unknown, ""},
        {"MAILX FROM:<a@b>", Verb::unknown, "FROM:<a@b>"},
        {"BDAT 0 LAST", Verb::bdat, "0 LAST"},
        {"MAIL FROM:<a@b> SIZE=10", Verb::mail, "FROM:<a@b> SIZE=10"},
    };
}

class CommandVerbs : public testing::TestWithParam<VerbCase> {};

TEST_P(CommandVerbs, Parsed) {
    const VerbCase& c = GetParam();
    const ParseResult r = parse_command(c.line);
    const Command* cmd = command_of(r);
    ASSERT_NE(cmd, nullptr) << describe(r);
    EXPECT_EQ(static_cast<int>(cmd->verb), static_cast<int>(c.verb));
    EXPECT_EQ(cmd->argument, c.argument);
}

INSTANTIATE_TEST_SUITE_P(Table, CommandVerbs, testing::ValuesIn(verb_cases()));

// ---- MAIL / RCPT paths ----

struct PathCase {
    std::string line;
    Verb verb;
    std::string local;
    std::string domain;
    bool utf8;
};

void PrintTo(const PathCase& c, std::ostream* os) { *os << testing::PrintToString(c.line); }

std::vector<PathCase> path_cases() {
    const std::string local64(64, 'l');
    const std::string domain189 = domain_of_length(189);  // "<" 64 "@" 189 ">" = 256 octets of path
    return {
        {"MAIL FROM:<user@example.org>", Verb::mail, "user", "example.org", false},
        {"mail from:<user@example.org>", Verb::mail, "user", "example.org", false},
        {"MAIL FROM: <user@example.org>", Verb::mail, "user", "example.org", false},  // Postfix leniency
        {"MAIL FROM:<>", Verb::mail, "", "", false},
        {"MAIL FROM: <>", Verb::mail, "", "", false},
        {"MAIL FROM:<first.last+tag@sub.example.org>", Verb::mail, "first.last+tag", "sub.example.org", false},
        {"MAIL FROM:<!#$%&'*+-/=?^_`{|}~@example.org>", Verb::mail, "!#$%&'*+-/=?^_`{|}~", "example.org", false},
        {"MAIL FROM:<u@EXAMPLE.Org>", Verb::mail, "u", "EXAMPLE.Org", false},
        {"MAIL FROM:<u@a-b.c0-9.x>", Verb::mail, "u", "a-b.c0-9.x", false},
        {"MAIL FROM:<u@123.example>", Verb::mail, "u", "123.example", false},
        {"MAIL FROM:<u@localhost>", Verb::mail, "u", "localhost", false},
        {"MAIL FROM:<\"john doe\"@example.org>", Verb::mail, "\"john doe\"", "example.org", false},
        {"MAIL FROM:<\"a\\\"b\"@example.org>", Verb::mail, "\"a\\\"b\"", "example.org", false},
        {"MAIL FROM:<\"a>b@c\"@example.org>", Verb::mail, "\"a>b@c\"", "example.org", false},
        {"MAIL FROM:<\"\"@example.org>", Verb::mail, "\"\"", "example.org", false},
        {"MAIL FROM:<\"\\\\\"@example.org>", Verb::mail, "\"\\\\\"", "example.org", false},
        {"RCPT TO:<user@example.org>", Verb::rcpt, "user", "example.org", false},
        {"rcpt to:<user@example.org>", Verb::rcpt, "user", "example.org", false},
        {"RCPT TO: <user@example.org>", Verb::rcpt, "user", "example.org", false},
        {"RCPT TO:<Postmaster>", Verb::rcpt, "Postmaster", "", false},
        {"RCPT TO:<postmaster>", Verb::rcpt, "postmaster", "", false},
        {"RCPT TO:<POSTMASTER>", Verb::rcpt, "POSTMASTER", "", false},
        {"RCPT TO:<Postmaster@example.org>", Verb::rcpt, "Postmaster", "example.org", false},
        {"MAIL FROM:<postmaster@example.org>", Verb::mail, "postmaster", "example.org", false},
        // Source routes: accepted, dropped (RFC 5321 Appendix C).
        {"RCPT TO:<@relay.example:user@example.org>", Verb::rcpt, "user", "example.org", false},
        {"RCPT TO:<@a.example,@b.example:user@example.org>", Verb::rcpt, "user", "example.org", false},
        {"MAIL FROM:<@a,@b,@c:user@d>", Verb::mail, "user", "d", false},
        {"RCPT TO:<@r\xc3\xa9lais.example:user@example.org>", Verb::rcpt, "user", "example.org", false},
        // Address literals.
        {"RCPT TO:<u@[192.0.2.1]>", Verb::rcpt, "u", "[192.0.2.1]", false},
        {"RCPT TO:<u@[0.0.0.0]>", Verb::rcpt, "u", "[0.0.0.0]", false},
        {"RCPT TO:<u@[255.255.255.255]>", Verb::rcpt, "u", "[255.255.255.255]", false},
        {"RCPT TO:<u@[IPv6:2001:db8::1]>", Verb::rcpt, "u", "[IPv6:2001:db8::1]", false},
        {"RCPT TO:<u@[ipv6:2001:DB8::1]>", Verb::rcpt, "u", "[ipv6:2001:DB8::1]", false},
        {"RCPT TO:<u@[IPv6:::1]>", Verb::rcpt, "u", "[IPv6:::1]", false},
        {"RCPT TO:<u@[IPv6:::]>", Verb::rcpt, "u", "[IPv6:::]", false},
        {"RCPT TO:<u@[IPv6:1:2:3:4:5:6:7:8]>", Verb::rcpt, "u", "[IPv6:1:2:3:4:5:6:7:8]", false},
        {"RCPT TO:<u@[IPv6:1:2:3::6:7:8]>", Verb::rcpt, "u", "[IPv6:1:2:3::6:7:8]", false},
        {"RCPT TO:<u@[IPv6:::ffff:192.0.2.1]>", Verb::rcpt, "u", "[IPv6:::ffff:192.0.2.1]", false},
        {"RCPT TO:<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>", Verb::rcpt, "u", "[IPv6:1:2:3:4:5:6:192.0.2.1]", false},
        {"RCPT TO:<u@[IPv6:1::192.0.2.1]>", Verb::rcpt, "u", "[IPv6:1::192.0.2.1]", false},
        {"RCPT TO:<u@[IPv6:1:2::3:192.0.2.1]>", Verb::rcpt, "u", "[IPv6:1:2::3:192.0.2.1]", false},
        // UTF-8 (RFC 6531).
        {"MAIL FROM:<j\xc3\xb6rg@example.org>", Verb::mail, "j\xc3\xb6rg", "example.org", true},
        {"RCPT TO:<user@b\xc3\xbc" "cher.example>", Verb::rcpt, "user", "b\xc3\xbc" "cher.example", true},
        {"RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", Verb::rcpt,
         "\xe7\x94\xa8\xe6\x88\xb7", "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", true},
        {"MAIL FROM:<\"j\xc3\xb6rg x\"@example.org>", Verb::mail, "\"j\xc3\xb6rg x\"", "example.org", true},
        {"MAIL FROM:<\xf0\x9f\x98\x80@example.org>", Verb::mail, "\xf0\x9f\x98\x80", "example.org", true},
        {"MAIL FROM:<\xef\xbf\xbd@example.org>", Verb::mail, "\xef\xbf\xbd", "example.org", true},
        // Length limits, exactly at.
        {"MAIL FROM:<" + local64 + "@b>", Verb::mail, local64, "b", false},
        {"MAIL FROM:<a@" + domain_of_length(250) + ">", Verb::mail, "a", domain_of_length(250), false},
        {"MAIL FROM:<" + local64 + "@" + domain189 + ">", Verb::mail, local64, domain189, false},
        {"MAIL FROM:<a@" + std::string(63, 'd') + ".com>", Verb::mail, "a", std::string(63, 'd') + ".com", false},
        // Trailing spaces are tolerated.
        {"RCPT TO:<a@b>  ", Verb::rcpt, "a", "b", false},
    };
}

class CommandPaths : public testing::TestWithParam<PathCase> {};

TEST_P(CommandPaths, Parsed) {
    const PathCase& c = GetParam();
    const ParseResult r = parse_command(c.line);
    const Command* cmd = command_of(r);
    ASSERT_NE(cmd, nullptr) << describe(r);
    EXPECT_EQ(static_cast<int>(cmd->verb), static_cast<int>(c.verb));
    EXPECT_EQ(cmd->address.local, c.local);
    EXPECT_EQ(cmd->address.domain, c.domain);
    EXPECT_EQ(cmd->address.utf8, c.utf8);
    EXPECT_TRUE(cmd->params.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, CommandPaths, testing::ValuesIn(path_cases()));

TEST(CommandPath, LimitsAreTheRfcOnes) {
    // One octet past each limit fails, at the limit passes (RFC 5321 §4.5.3.1).
    const auto ok = [](const std::string& line) { return command_of(parse_command(line)) != nullptr; };
    EXPECT_TRUE(ok("MAIL FROM:<" + std::string(64, 'a') + "@b>"));
    EXPECT_FALSE(ok("MAIL FROM:<" + std::string(65, 'a') + "@b>"));
    EXPECT_TRUE(ok("MAIL FROM:<\"" + std::string(62, 'a') + "\"@b>"));
    EXPECT_FALSE(ok("MAIL FROM:<\"" + std::string(63, 'a') + "\"@b>"));
    EXPECT_TRUE(ok("MAIL FROM:<a@" + domain_of_length(252) + ">"));   // path 256
    EXPECT_FALSE(ok("MAIL FROM:<a@" + domain_of_length(253) + ">"));  // path 257
    EXPECT_TRUE(ok("MAIL FROM:<@" + domain_of_length(240) + ":a@" + domain_of_length(10) + ">"));   // 256
    EXPECT_FALSE(ok("MAIL FROM:<@" + domain_of_length(241) + ":a@" + domain_of_length(10) + ">"));  // route counts
}

TEST(CommandPath, AddressStr) {
    const Command* cmd = nullptr;
    const ParseResult a = parse_command("RCPT TO:<Postmaster>");
    cmd = command_of(a);
    ASSERT_NE(cmd, nullptr);
    EXPECT_EQ(cmd->address.str(), "Postmaster");
    EXPECT_FALSE(cmd->address.empty());
    const ParseResult b = parse_command("MAIL FROM:<>");
    cmd = command_of(b);
    ASSERT_NE(cmd, nullptr);
    EXPECT_TRUE(cmd->address.empty());
    const ParseResult c = parse_command("MAIL FROM:<x@y.z>");
    cmd = command_of(c);
    ASSERT_NE(cmd, nullptr);
    EXPECT_EQ(cmd->address.str(), "x@y.z");
}

// ---- ESMTP parameters (RFC 5321 §4.1.2, RFC 1869) ----

struct ParamCase {
    std::string line;
    std::vector<EsmtpParam> params;
};

void PrintTo(const ParamCase& c, std::ostream* os) { *os << testing::PrintToString(c.line); }

std::vector<ParamCase> param_cases() {
    return {
        {"MAIL FROM:<a@b> SIZE=1000", {{"SIZE", "1000"}}},
        {"MAIL FROM:<a@b> size=1000 body=8bitmime", {{"SIZE", "1000"}, {"BODY", "8bitmime"}}},
        {"MAIL FROM:<a@b>   SIZE=1  BODY=7BIT  ", {{"SIZE", "1"}, {"BODY", "7BIT"}}},
        {"MAIL FROM:<> SMTPUTF8", {{"SMTPUTF8", ""}}},
        {"MAIL FROM:<a@b> RET=HDRS ENVID=QQ314159+2B", {{"RET", "HDRS"}, {"ENVID", "QQ314159+2B"}}},
        {"MAIL FROM:<a@b> X-FOO-1=!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~", {{"X-FOO-1", "!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~"}}},
        {"MAIL FROM:<a@b> 8BITMIME", {{"8BITMIME", ""}}},
        {"RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b", {{"NOTIFY", "SUCCESS,FAILURE"},
                                                                    {"ORCPT", "rfc822;a+40b"}}},
        {"RCPT TO:<Postmaster> NOTIFY=NEVER", {{"NOTIFY", "NEVER"}}},
        {"MAIL FROM: <a@b> SIZE=5", {{"SIZE", "5"}}},
    };
}

class CommandParams : public testing::TestWithParam<ParamCase> {};

TEST_P(CommandParams, Parsed) {
    const ParamCase& c = GetParam();
    const ParseResult r = parse_command(c.line);
    const Command* cmd = command_of(r);
    ASSERT_NE(cmd, nullptr) << describe(r);
    EXPECT_EQ(cmd->params, c.params);
}

INSTANTIATE_TEST_SUITE_P(Table, CommandParams, testing::ValuesIn(param_cases()));

TEST(FindParam, LinearLookup) {
    const ParseResult r = parse_command("MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8");
    const Command* cmd = command_of(r);
    ASSERT_NE(cmd, nullptr);
    const EsmtpParam* size = find_param(cmd->params, "SIZE");
    ASSERT_NE(size, nullptr);
    EXPECT_EQ(size->second, "10");
    const EsmtpParam* utf8 = find_param(cmd->params, "SMTPUTF8");
    ASSERT_NE(utf8, nullptr);
    EXPECT_EQ(utf8->second, "");
    EXPECT_EQ(find_param(cmd->params, "RET"), nullptr);
    EXPECT_EQ(find_param({}, "SIZE"), nullptr);
}

// ---- BDAT (RFC 3030) ----

TEST(CommandBdat, SizesAndLast) {
    struct Case {
        std::string line;
        std::uint64_t size;
        bool last;
    };
    const std::vector<Case> table = {
        {"BDAT 0", 0, false},
        {"BDAT 0 LAST", 0, true},
        {"bdat 1000 last", 1000, true},
        {"BDAT 1000 Last", 1000, true},
        {"BDAT 86 ", 86, false},
        {"BDAT 007", 7, false},
        {"BDAT 9999999999999999999", 9999999999999999999ull, false},  // 19 digits
        {"BDAT  5  LAST", 5, true},
    };
    for (const auto& c : table) {
        const ParseResult r = parse_command(c.line);
        const Command* cmd = command_of(r);
        ASSERT_NE(cmd, nullptr) << c.line << ": " << describe(r);
        EXPECT_EQ(cmd->verb, Verb::bdat) << c.line;
        EXPECT_EQ(cmd->chunk_size, c.size) << c.line;
        EXPECT_EQ(cmd->last_chunk, c.last) << c.line;
    }
}

// ---- xtext (RFC 3461 §4) ----

TEST(DecodeXtext, Table) {
    const std::vector<std::pair<std::string, std::optional<std::string>>> table = {
        {"", ""},
        {"plain", "plain"},
        {"rfc822;a+40b.example", "rfc822;a@b.example"},
        {"+2B+3D", "+="},
        {"+20", " "},
        {"x+00y", std::string("x\0y", 3)},
        {"a+2b", std::nullopt},   // lower-case hex is not xtext
        {"a+2", std::nullopt},
        {"a+", std::nullopt},
        {"a+G0", std::nullopt},
        {"a=b", std::nullopt},
        {"a b", std::nullopt},
        {"a\x7f", std::nullopt},
        {"\xc3\xa4", std::nullopt},
    };
    for (const auto& [in, expected] : table) {
        EXPECT_EQ(decode_xtext(in), expected) << testing::PrintToString(in);
    }
}

}  // namespace
}  // namespace mxgate::smtp
