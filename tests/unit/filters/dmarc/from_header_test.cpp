// parse_from() over RFC 5322 §3.4/§3.6.2 cases (and RFC 6854 groups, RFC 6532
// UTF-8): the domains found, and the malformed fields refused; every accepted
// case also split nowhere differently by folding (CFWS anywhere it may stand).
#include "filters/dmarc/from_header.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxgate::filters::dmarc {
namespace {

std::string domains(std::string_view value) {
    const ParsedFrom parsed = parse_from(value);
    if (!parsed.ok()) return "error: " + parsed.error;
    std::string out;
    for (const Mailbox& m : parsed.mailboxes) out += (out.empty() ? "" : " ") + m.local_part + "@" + m.domain;
    return out;
}

struct Case {
    const char* value;
    const char* expected;
};

TEST(FromHeader, AcceptedForms) {
    const Case cases[] = {
        {" user@example.org\r\n", "user@example.org"},
        {" User@Example.ORG", "User@example.org"},
        {" John Doe <john@example.org>", "john@example.org"},
        {" \"Doe, John\" <john@example.org>", "john@example.org"},  // the comma is quoted
        {" \"john@evil.example\" <john@example.org>", "john@example.org"},  // a display name is no address
        {" <john@example.org>", "john@example.org"},
        {" john@example.org (John (the) Doe)", "john@example.org"},  // nested comment
        {" (comment) john(c)@(c)example.org(c)", "john@example.org"},
        {" \"john doe\"@example.org", "john doe@example.org"},    // quoted local part
        {" \"a\\\"b\"@example.org", "a\"b@example.org"},           // quoted-pair
        {" \"a\\\r\n b\"@example.org", "a b@example.org"},  // a quoted CR is folding (found by from_header_fuzz)
        {" john . doe @ example . org", "john.doe@example.org"},   // obs-local-part, obs-domain
        {" a@example.org, b@example.net", "a@example.org b@example.net"},
        {" a@example.org,, ,b@example.net,", "a@example.org b@example.net"},  // obs-mbox-list
        {" Friends: a@example.org, B <b@example.net>;", "a@example.org b@example.net"},  // RFC 6854 group
        {" undisclosed-recipients:;", ""},
        {" Group: ;, c@example.com", "c@example.com"},
        {" =?utf-8?q?J=C3=B6rg?= <joerg@example.org>", "joerg@example.org"},  // encoded word left alone
        {" =?utf-8?b?QGV2aWwuZXhhbXBsZQ==?= <a@example.org>", "a@example.org"},
        {" user@[192.0.2.1]", "user@[192.0.2.1]"},
        {" <@relay.example,@other.example:user@example.org>", "user@example.org"},  // obs-route
        {" J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc\x63her.example>", "j\xc3\xb6rg@b\xc3\xbc\x63her.example"},  // RFC 6532
        {" John Q. Public <jqp@example.org>", "jqp@example.org"},  // obs-phrase with a dot
        {" user@example.org\r\n\t(folded\r\n comment)", "user@example.org"},
    };
    for (const Case& c : cases) EXPECT_EQ(domains(c.value), c.expected) << c.value;
}

TEST(FromHeader, MalformedFieldsAreErrors) {
    const char* cases[] = {
        "",                                   // no address
        "   ",
        " John Doe",                          // a phrase without an address
        " user",
        " user@",
        " @example.org",
        " user@example.org.",                 // dot-atom may not end in a dot
        " user@.example.org",
        " us..er@example.org",
        " John Doe@example.org",              // two words are no local part
        " <user@example.org",                 // unterminated angle
        " <>",
        " user@example.org <other@example.net>",
        " \"unterminated@example.org",
        " user@example.org (unterminated",
        " user@[192.0.2.1",
        " a@example.org b@example.net",        // no comma
        " G: a@example.org",                  // unterminated group
        " G: H: a@example.org;;",             // nested group
        " user@\"example\".org",              // a quoted domain
        " user@exa\x01mple.org",              // control octet
        " user@example.org\\",                // a quoted-pair outside quotes
    };
    for (const char* c : cases) EXPECT_FALSE(parse_from(c).ok()) << "'" << c << "' gave " << domains(c);
}

TEST(FromHeader, DomainLiteralIsMarked) {
    const ParsedFrom parsed = parse_from("a@[IPv6:2001:db8::1]");
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed.mailboxes.size(), 1u);
    EXPECT_TRUE(parsed.mailboxes[0].domain_literal);
    EXPECT_EQ(parsed.mailboxes[0].domain, "[IPv6:2001:db8::1]");
}

TEST(FromHeader, FieldNameAndValue) {
    EXPECT_TRUE(is_from_field("From: a@example.org\r\n"));
    EXPECT_TRUE(is_from_field("fROM:a@example.org\r\n"));
    EXPECT_TRUE(is_from_field("From : a@example.org\r\n"));  // obs-optional WSP before ':'
    EXPECT_FALSE(is_from_field("Resent-From: a@example.org\r\n"));
    EXPECT_FALSE(is_from_field("From a@example.org\r\n"));
    EXPECT_FALSE(is_from_field("Fromage: brie\r\n"));
    EXPECT_FALSE(is_from_field("From"));
    EXPECT_EQ(field_value("From: a@example.org\r\n"), " a@example.org\r\n");
    EXPECT_EQ(domains(field_value("From:\r\n John <j@example.org>\r\n")), "j@example.org");
}

}  // namespace
}  // namespace mxgate::filters::dmarc
