// The sans-I/O backend conversation, step by step: what it writes, how it
// judges each reply, and - for every step of every operation - that an
// injected failure gives mxgate's own 451 4.3.0 and never a 2xx.
#include "proxy/backend/conversation.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proxy/backend/script.hpp"

namespace mxgate::backend {
namespace {

using namespace mxgate::backend::test;

constexpr const char* full_ehlo =
    "250-backend.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
    "250-DSN\r\n250 SMTPUTF8\r\n";
constexpr const char* basic_ehlo = "250-backend.test\r\n250 8BITMIME\r\n";
constexpr const char* pipelined_mail_rcpt =
    "MAIL FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME\r\n"
    "RCPT TO:<bob@example.net> NOTIFY=SUCCESS ORCPT=rfc822;bob@example.net\r\n";

ConversationSettings settings(Protocol protocol = Protocol::smtp) {
    ConversationSettings s;
    s.protocol = protocol;
    s.helo_name = "mx.test";
    s.peer = "test 192.0.2.1:25";
    return s;
}

ClientInfo client() {
    ClientInfo info;
    info.address = boost::asio::ip::make_address("192.0.2.7");
    info.port = 40000;
    info.helo = "client.example";
    info.session_id = "abc123";
    return info;
}

Envelope envelope() {
    Envelope e;
    e.sender = core::Address{"alice", "example.org"};
    e.params = {{"SIZE", "1000"}, {"BODY", "8BITMIME"}};
    return e;
}

Recipient bob() {
    return Recipient{core::Address{"bob", "example.net"}, {{"NOTIFY", "SUCCESS"}, {"ORCPT", "rfc822;bob@example.net"}}};
}
Recipient carol() { return Recipient{core::Address{"carol", "example.net"}, {}}; }

Conversation connected(const std::string& ehlo, ConversationSettings s = settings()) {
    Conversation c(std::move(s));
    const std::string verb = c.settings().protocol == Protocol::lmtp ? "LHLO" : "EHLO";
    run(c, c.start_connect(), {give("220 backend.test ESMTP\r\n"), expect_write(verb + " mx.test\r\n"), give(ehlo)});
    EXPECT_TRUE(c.connected());
    c.begin_transaction(client(), envelope());
    return c;
}

// A conversation with bob accepted, ready for DATA.
Conversation with_recipient(const std::string& ehlo = full_ehlo, ConversationSettings s = settings()) {
    Conversation c = connected(ehlo, std::move(s));
    run(c, c.start_recipient(bob()), {expect_write(pipelined_mail_rcpt), give("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")});
    EXPECT_EQ(c.accepted(), 1u);
    return c;
}

Conversation in_data(const std::string& ehlo = full_ehlo, ConversationSettings s = settings()) {
    Conversation c = with_recipient(ehlo, std::move(s));
    run(c, c.start_data(), {expect_write("DATA\r\n"), give("354 End data with <CR><LF>.<CR><LF>\r\n")});
    EXPECT_EQ(c.health(), Health::mid_data);
    return c;
}

// ---------------------------------------------------------------- connect

TEST(Conversation, ConnectParsesCapabilities) {
    Conversation c = connected(
        "250-backend.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-DSN\r\n"
        "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN\r\n"
        "250 XFORWARD NAME ADDR PROTO HELO SOURCE\r\n");
    EXPECT_EQ(c.health(), Health::clean);
    const Capabilities& caps = c.capabilities();
    EXPECT_TRUE(caps.pipelining && caps.size && caps.eightbitmime && caps.smtputf8 && caps.dsn &&
                caps.enhanced_status_codes && caps.starttls && caps.xclient && caps.xforward);
    EXPECT_EQ(caps.max_size, 1000u);
    EXPECT_EQ(caps.xclient_attributes, (std::vector<std::string>{"NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN"}));
    EXPECT_EQ(caps.xforward_attributes, (std::vector<std::string>{"NAME", "ADDR", "PROTO", "HELO", "SOURCE"}));
}

TEST(Conversation, ConnectFailures) {
    check_every_failure(Scenario{[] { return Conversation(settings()); },
                                 [](Conversation& c) { return c.start_connect(); },
                                 {give("220 backend.test ESMTP\r\n"), expect_write("EHLO mx.test\r\n"),
                                  give(full_ehlo)},
                                 true});
}

TEST(Conversation, GreetingOrEhloRefusedFailsOver) {
    for (const char* greeting : {"554 go away\r\n", "421 busy\r\n"}) {
        Conversation c(settings());
        run(c, c.start_connect(), {give(greeting)});
        EXPECT_FALSE(c.connected());
        EXPECT_EQ(c.reply().code, 451);
    }
    Conversation c(settings());
    run(c, c.start_connect(), {give("220 hi\r\n"), expect_write("EHLO mx.test\r\n"), give("502 no EHLO\r\n")});
    EXPECT_FALSE(c.connected());
}

TEST(Conversation, LmtpSaysLhlo) {
    Conversation c = connected("250-lmtp.test\r\n250 PIPELINING\r\n", settings(Protocol::lmtp));
    EXPECT_TRUE(c.capabilities().pipelining);
}

ConversationSettings tls_settings(config::BackendTls tls, bool verify = false) {
    ConversationSettings s = settings();
    s.tls = tls;
    s.tls_verify = verify;
    return s;
}

const Script starttls_script = {
    give("220 backend.test ESMTP\r\n"),
    expect_write("EHLO mx.test\r\n"),
    give("250-backend.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"),
    expect_write("STARTTLS\r\n"),
    give("220 2.0.0 Ready to start TLS\r\n"),
    tls_done(),
    expect_write("EHLO mx.test\r\n"),
    give("250-backend.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
};

TEST(Conversation, StartTlsThenEhloAgain) {
    Conversation c(tls_settings(config::BackendTls::required));
    run(c, c.start_connect(), starttls_script);
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.tls_active());
    EXPECT_TRUE(c.capabilities().pipelining);  // learned after TLS only
    EXPECT_FALSE(c.capabilities().starttls);
}

TEST(Conversation, StartTlsFailures) {
    for (auto tls : {config::BackendTls::required, config::BackendTls::opportunistic}) {
        check_every_failure(Scenario{[tls] { return Conversation(tls_settings(tls)); },
                                     [](Conversation& c) { return c.start_connect(); }, starttls_script, true});
    }
}

TEST(Conversation, StartTlsNotOffered) {
    const Script script = {give("220 hi\r\n"), expect_write("EHLO mx.test\r\n"), give(basic_ehlo)};
    Conversation required(tls_settings(config::BackendTls::required));
    run(required, required.start_connect(), script);
    EXPECT_FALSE(required.connected());

    Conversation opportunistic(tls_settings(config::BackendTls::opportunistic));
    run(opportunistic, opportunistic.start_connect(), script);
    EXPECT_TRUE(opportunistic.connected());
    EXPECT_FALSE(opportunistic.tls_active());
}

TEST(Conversation, StartTlsRefused) {
    const Script script = {give("220 hi\r\n"), expect_write("EHLO mx.test\r\n"),
                           give("250-backend.test\r\n250 STARTTLS\r\n"), expect_write("STARTTLS\r\n"),
                           give("454 4.7.0 TLS not available\r\n")};
    Conversation opportunistic(tls_settings(config::BackendTls::opportunistic));
    run(opportunistic, opportunistic.start_connect(), script);
    EXPECT_TRUE(opportunistic.connected());
    EXPECT_FALSE(opportunistic.tls_active());

    Conversation required(tls_settings(config::BackendTls::required));
    run(required, required.start_connect(), script);
    EXPECT_FALSE(required.connected());
}

TEST(Conversation, StartTlsUnverifiedCertificate) {
    Script script(starttls_script.begin(), starttls_script.begin() + 5);
    script.push_back(tls_done(false));
    Conversation verifying(tls_settings(config::BackendTls::required, true));
    run(verifying, verifying.start_connect(), script);
    EXPECT_FALSE(verifying.connected());

    Conversation lenient(tls_settings(config::BackendTls::required, false));
    run(lenient, lenient.start_connect(),
        {starttls_script[0], starttls_script[1], starttls_script[2], starttls_script[3], starttls_script[4],
         tls_done(false), starttls_script[6], starttls_script[7]});
    EXPECT_TRUE(lenient.connected());
}

TEST(Conversation, StartTlsResponseInjectionRefused) {
    // Plaintext queued behind the 220 would be taken as if it came over TLS.
    Conversation c(tls_settings(config::BackendTls::opportunistic));
    run(c, c.start_connect(),
        {give("220 hi\r\n"), expect_write("EHLO mx.test\r\n"), give("250-b\r\n250 STARTTLS\r\n"),
         expect_write("STARTTLS\r\n"), give("220 go ahead\r\n250-injected\r\n")});
    EXPECT_FALSE(c.connected());
}

// ---------------------------------------------------------------- MAIL / RCPT

TEST(Conversation, PipelinedMailAndRcpt) {
    Conversation c = connected(full_ehlo);
    run(c, c.start_recipient(bob()), {expect_write(pipelined_mail_rcpt), give("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")});
    EXPECT_EQ(c.reply().code, 250);
    EXPECT_EQ(c.reply().enhanced, "2.1.5");
    EXPECT_EQ(c.accepted(), 1u);
    EXPECT_EQ(c.health(), Health::needs_rset);
    // Later recipients: RCPT alone.
    run(c, c.start_recipient(carol()), {expect_write("RCPT TO:<carol@example.net>\r\n"), give("250 2.1.5 Ok\r\n")});
    EXPECT_EQ(c.accepted(), 2u);
}

TEST(Conversation, PipelinedRecipientFailures) {
    check_every_failure(Scenario{[] { return connected(full_ehlo); },
                                 [](Conversation& c) { return c.start_recipient(bob()); },
                                 {expect_write(pipelined_mail_rcpt), give("250 2.1.0 Ok\r\n"),
                                  give("250 2.1.5 Ok\r\n")}});
}

TEST(Conversation, OneByOneWithoutPipelining) {
    // No PIPELINING, no SIZE/DSN: only BODY passes; codes get enhanced ones made up.
    const Script script = {expect_write("MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"), give("250 Ok\r\n"),
                           expect_write("RCPT TO:<bob@example.net>\r\n"), give("250 Ok\r\n")};
    Conversation c = connected(basic_ehlo);
    run(c, c.start_recipient(bob()), script);
    EXPECT_EQ(c.reply().code, 250);
    EXPECT_EQ(c.reply().enhanced, "2.1.5");
    check_every_failure(Scenario{[] { return connected(basic_ehlo); },
                                 [](Conversation& c) { return c.start_recipient(bob()); }, script});
}

TEST(Conversation, SecondRcptFailures) {
    check_every_failure(Scenario{[] { return with_recipient(); },
                                 [](Conversation& c) { return c.start_recipient(carol()); },
                                 {expect_write("RCPT TO:<carol@example.net>\r\n"), give("250 2.1.5 Ok\r\n")}});
}

TEST(Conversation, MailRefused) {
    Conversation c = connected(full_ehlo);
    run(c, c.start_recipient(bob()),
        {expect_write(pipelined_mail_rcpt), give("550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n")});
    EXPECT_EQ(c.reply().code, 550);
    EXPECT_EQ(c.reply().enhanced, "5.7.1");
    EXPECT_EQ(c.reply().lines, (std::vector<std::string>{"sender refused"}));
    EXPECT_EQ(c.accepted(), 0u);
    // Every later recipient gets the MAIL reply, without I/O.
    run(c, c.start_recipient(carol()), {});
    EXPECT_EQ(c.reply().code, 550);
    // And DATA is never sent.
    run(c, c.start_data(), {});
    EXPECT_EQ(c.reply().code, 554);
    EXPECT_EQ(c.reply().enhanced, "5.5.1");
}

TEST(Conversation, MailRefusedWithoutPipeliningSendsNoRcpt) {
    Conversation c = connected(basic_ehlo);
    run(c, c.start_recipient(bob()),
        {expect_write("MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"), give("451 try later\r\n")});
    EXPECT_EQ(c.reply().code, 451);
    EXPECT_EQ(c.reply().enhanced, "4.0.0");  // made up: mxgate's replies always carry one
    EXPECT_EQ(c.reply().lines[0], "try later");
}

TEST(Conversation, EnhancedCodesSplitOffEvenWhenNotAdvertised) {
    Conversation c = connected(basic_ehlo);
    run(c, c.start_recipient(carol()),
        {expect_write("MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"), give("250 2.1.0 Ok\r\n"),
         expect_write("RCPT TO:<carol@example.net>\r\n"), give("250 2.1.5 Ok\r\n")});
    EXPECT_EQ(c.reply().wire(), "250 2.1.5 Ok\r\n");  // not "250 2.1.5 2.1.5 Ok"
}

TEST(Conversation, RcptRefused) {
    Conversation c = connected(full_ehlo);
    run(c, c.start_recipient(bob()),
        {expect_write(pipelined_mail_rcpt), give("250 2.1.0 Ok\r\n550 5.1.1 <bob@example.net>: unknown\r\n")});
    EXPECT_EQ(c.reply().code, 550);
    EXPECT_EQ(c.reply().enhanced, "5.1.1");
    EXPECT_EQ(c.accepted(), 0u);
    run(c, c.start_data(), {});  // no recipient: no DATA on the wire
    EXPECT_EQ(c.reply().code, 554);
}

TEST(Conversation, BackendClosing421IsOurs451) {
    Conversation c = connected(full_ehlo);
    run(c, c.start_recipient(bob()),
        {expect_write(pipelined_mail_rcpt), give("250 2.1.0 Ok\r\n421 4.3.2 shutting down\r\n")});
    expect_failed(c, false, "421");
    EXPECT_FALSE(c.retryable());  // MAIL was answered
}

TEST(Conversation, Smtputf8NeedsBackendSupport) {
    Conversation c = connected(basic_ehlo);
    Envelope utf8 = envelope();
    utf8.params.emplace_back("SMTPUTF8", "");
    c.begin_transaction(client(), utf8);
    run(c, c.start_recipient(bob()), {});  // refused before anything is sent
    EXPECT_EQ(c.reply().code, 553);
    EXPECT_EQ(c.reply().enhanced, "5.6.7");
    run(c, c.start_recipient(carol()), {});
    EXPECT_EQ(c.reply().code, 553);

    Conversation capable = connected(full_ehlo);
    capable.begin_transaction(client(), utf8);
    run(capable, capable.start_recipient(carol()),
        {expect_write("MAIL FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME SMTPUTF8\r\n"
                      "RCPT TO:<carol@example.net>\r\n"),
         give("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")});
    EXPECT_EQ(capable.reply().code, 250);
}

TEST(Conversation, UnsolicitedDataBreaksTheConnection) {
    Conversation c = connected(full_ehlo);
    ConversationStep step = c.start_recipient(bob());
    step = c.resume_written();
    // Two replies expected; a third one is out of turn.
    step = c.resume_read("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 extra\r\n");
    EXPECT_EQ(step.kind, ConversationStep::Kind::done);
    EXPECT_EQ(c.reply().code, 250);
    run(c, c.start_data(), {});
    expect_failed(c, false, "unsolicited");
}

TEST(Conversation, RetryableOnlyBeforeAnyAnswer) {
    Conversation dead = connected(full_ehlo);
    ConversationStep step = dead.start_recipient(bob());
    step = dead.resume_failure(Failure::eof, "gone");
    EXPECT_EQ(step.kind, ConversationStep::Kind::done);
    EXPECT_TRUE(dead.retryable());

    Conversation closing = connected(full_ehlo);
    run(closing, closing.start_recipient(bob()), {expect_write(pipelined_mail_rcpt), give("421 4.4.2 timeout\r\n")});
    EXPECT_TRUE(closing.retryable());
    EXPECT_EQ(closing.reply().code, 451);

    Conversation slow = connected(full_ehlo);
    step = slow.start_recipient(bob());
    step = slow.resume_failure(Failure::timeout, "slow");
    EXPECT_FALSE(slow.retryable());
}

// ---------------------------------------------------------------- XFORWARD / XCLIENT

TEST(Conversation, XforwardBeforeMailPipelined) {
    const std::string ehlo = "250-b\r\n250-PIPELINING\r\n250-XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n"
                             "250 ENHANCEDSTATUSCODES\r\n";
    const Script script = {
        expect_write("XFORWARD NAME=[UNAVAILABLE] ADDR=192.0.2.7 PORT=40000 PROTO=ESMTP HELO=client.example "
                     "IDENT=abc123 SOURCE=REMOTE\r\n"
                     "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"),
        give("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n"), give("250 2.1.5 Ok\r\n")};
    Conversation c = connected(ehlo);
    run(c, c.start_recipient(bob()), script);
    EXPECT_EQ(c.reply().code, 250);
    check_every_failure(Scenario{[ehlo] { return connected(ehlo); },
                                 [](Conversation& c) { return c.start_recipient(bob()); }, script});
}

TEST(Conversation, XforwardRefusedFailsTheTransaction) {
    const std::string ehlo = "250-b\r\n250-PIPELINING\r\n250 XFORWARD ADDR\r\n";
    Conversation c = connected(ehlo);
    run(c, c.start_recipient(bob()),
        {expect_write("XFORWARD ADDR=192.0.2.7\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"),
         give("550 not authorized\r\n250 Ok\r\n250 Ok\r\n")});
    EXPECT_EQ(c.reply().code, 451);
    EXPECT_EQ(c.accepted(), 0u);
    EXPECT_EQ(c.health(), Health::needs_rset);  // MAIL was accepted: RSET before reuse
    run(c, c.start_recipient(carol()), {});
    EXPECT_EQ(c.reply().code, 451);
}

TEST(Conversation, XforwardNotSentWhenDisabled) {
    ConversationSettings s = settings();
    s.identity = config::ClientIdentity::none;
    Conversation c = connected("250-b\r\n250 XFORWARD ADDR\r\n", s);
    run(c, c.start_recipient(carol()),
        {expect_write("MAIL FROM:<alice@example.org>\r\n"), give("250 Ok\r\n"),
         expect_write("RCPT TO:<carol@example.net>\r\n"), give("250 Ok\r\n")});
}

const std::string xclient_ehlo = "250-b\r\n250-PIPELINING\r\n250 XCLIENT NAME ADDR PORT PROTO HELO\r\n";
const Script xclient_script = {
    expect_write("XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.7 PORT=40000 PROTO=ESMTP HELO=client.example\r\n"),
    give("220 backend.test ESMTP\r\n"),
    expect_write("EHLO mx.test\r\n"),
    give(xclient_ehlo),
    expect_write("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"),
    give("250 Ok\r\n250 Ok\r\n"),
};

TEST(Conversation, XclientThenEhloThenMail) {
    Conversation c = connected(xclient_ehlo);
    run(c, c.start_recipient(bob()), xclient_script);
    EXPECT_EQ(c.reply().code, 250);
    check_every_failure(Scenario{[] { return connected(xclient_ehlo); },
                                 [](Conversation& c) { return c.start_recipient(bob()); }, xclient_script});
}

TEST(Conversation, XclientOnlyWhenTheIdentityChanges) {
    Conversation c = connected(xclient_ehlo);
    run(c, c.start_recipient(bob()), xclient_script);
    run(c, c.start_data(), {expect_write("DATA\r\n"), give("354 go\r\n")});
    run(c, c.start_content("hi\r\n"), {expect_write("hi\r\n")});
    run(c, c.start_dot(), {expect_write(".\r\n"), give("250 queued\r\n")});
    EXPECT_EQ(c.health(), Health::clean);

    // Same client on the pooled connection: straight to MAIL.
    c.begin_transaction(client(), envelope());
    run(c, c.start_recipient(carol()),
        {expect_write("MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.net>\r\n"),
         give("250 Ok\r\n250 Ok\r\n")});
    run(c, c.start_rset(), {expect_write("RSET\r\n"), give("250 Ok\r\n")});

    // Another client: XCLIENT again.
    ClientInfo other = client();
    other.address = boost::asio::ip::make_address("2001:db8::5");
    c.begin_transaction(other, envelope());
    run(c, c.start_recipient(carol()),
        {expect_write("XCLIENT NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::5 PORT=40000 PROTO=ESMTP HELO=client.example\r\n"),
         give("220 again\r\n"), expect_write("EHLO mx.test\r\n"), give(xclient_ehlo),
         expect_write("MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.net>\r\n"),
         give("250 Ok\r\n250 Ok\r\n")});
    EXPECT_EQ(c.reply().code, 250);
}

TEST(Conversation, Xclient250IsAcceptedToo) {
    // smtp-sink answers XCLIENT with 250 instead of Postfix's new 220 greeting.
    Conversation c = connected(xclient_ehlo);
    Script script = xclient_script;
    script[1] = give("250 2.0.0 Ok\r\n");
    run(c, c.start_recipient(bob()), script);
    EXPECT_EQ(c.reply().code, 250);
}

TEST(Conversation, XclientRefused) {
    Conversation c = connected(xclient_ehlo);
    run(c, c.start_recipient(bob()), {xclient_script[0], give("550 5.7.0 not authorized\r\n")});
    expect_failed(c, false, "xclient refused");
}

// ---------------------------------------------------------------- DATA and the dot

TEST(Conversation, DataFailures) {
    check_every_failure(Scenario{[] { return with_recipient(); }, [](Conversation& c) { return c.start_data(); },
                                 {expect_write("DATA\r\n"), give("354 go ahead\r\n")}});
}

TEST(Conversation, DataRefusedIsPassed) {
    Conversation c = with_recipient();
    run(c, c.start_data(), {expect_write("DATA\r\n"), give("554 5.5.1 no\r\n")});
    EXPECT_EQ(c.reply().code, 554);
    EXPECT_EQ(c.health(), Health::needs_rset);
}

TEST(Conversation, ContentAndDot) {
    Conversation c = in_data();
    run(c, c.start_content("Subject: x\r\n\r\n..dot\r\n"), {expect_write("Subject: x\r\n\r\n..dot\r\n")});
    run(c, c.start_dot(), {expect_write(".\r\n"), give("250 2.0.0 Ok: queued as ABC\r\n")});
    EXPECT_EQ(c.reply().code, 250);
    EXPECT_EQ(c.reply().lines[0], "Ok: queued as ABC");
    EXPECT_EQ(c.health(), Health::clean);
}

TEST(Conversation, DotAfterUnterminatedContentStartsALine) {
    Conversation c = in_data();
    run(c, c.start_content("no line end"), {expect_write("no line end")});
    run(c, c.start_dot(), {expect_write("\r\n.\r\n"), give("250 Ok\r\n")});
    EXPECT_EQ(c.reply().enhanced, "2.0.0");
}

TEST(Conversation, DotRefusedIsPassedAndConnectionClean) {
    Conversation c = in_data();
    run(c, c.start_dot(), {expect_write(".\r\n"), give("552 5.3.4 too big\r\n")});
    EXPECT_EQ(c.reply().code, 552);
    EXPECT_EQ(c.health(), Health::clean);
}

TEST(Conversation, ContentFailures) {
    check_every_failure(Scenario{[] { return in_data(); }, [](Conversation& c) { return c.start_content("x\r\n"); },
                                 {expect_write("x\r\n")}});
}

TEST(Conversation, DotFailures) {
    check_every_failure(Scenario{[] { return in_data(); }, [](Conversation& c) { return c.start_dot(); },
                                 {expect_write(".\r\n"), give("250 2.0.0 Ok\r\n")}});
}

TEST(Conversation, LmtpOneReplyPerRecipient) {
    const std::string ehlo = "250-lmtp\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n";
    auto setup = [ehlo] {
        Conversation c = connected(ehlo, settings(Protocol::lmtp));
        run(c, c.start_recipient(carol()),
            {expect_write("MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.net>\r\n"),
             give("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")});
        run(c, c.start_recipient(bob()), {expect_write("RCPT TO:<bob@example.net>\r\n"), give("250 2.1.5 Ok\r\n")});
        run(c, c.start_data(), {expect_write("DATA\r\n"), give("354 go\r\n")});
        return c;
    };
    Conversation c = setup();
    run(c, c.start_dot(), {expect_write(".\r\n"), give("250 2.0.0 carol ok\r\n"), give("452 4.2.2 bob full\r\n")});
    EXPECT_EQ(c.reply().code, 452);  // one recipient failed: that is the answer
    EXPECT_EQ(c.health(), Health::clean);
    // Each recipient's own answer, in RCPT order, for the session's combination.
    ASSERT_EQ(c.dot_replies().size(), 2u);
    EXPECT_EQ(c.dot_replies()[0].wire(), "250 2.0.0 carol ok\r\n");
    EXPECT_EQ(c.dot_replies()[1].wire(), "452 4.2.2 bob full\r\n");
    // The backend fails after the first answer: the second is missing, never made up.
    Conversation partial = setup();
    ConversationStep waiting = play(partial, partial.start_dot(), {expect_write(".\r\n"), give("250 2.0.0 carol ok\r\n")});
    EXPECT_EQ(waiting.kind, ConversationStep::Kind::read);
    partial.resume_failure(Failure::eof, "gone");
    EXPECT_EQ(partial.dot_replies().size(), 1u);
    EXPECT_EQ(partial.reply().code, 451);
    check_every_failure(Scenario{setup, [](Conversation& c) { return c.start_dot(); },
                                 {expect_write(".\r\n"), give("250 2.0.0 ok\r\n"), give("250 2.0.0 ok\r\n")}});
}

TEST(Conversation, NothingAfterDataForAbortedMessages) {
    Conversation c = in_data();
    run(c, c.start_rset(), {});  // RSET mid-DATA would be content: refused, close instead
    EXPECT_EQ(c.health(), Health::broken);
}

TEST(Conversation, RsetFailures) {
    check_every_failure(Scenario{[] { return with_recipient(); }, [](Conversation& c) { return c.start_rset(); },
                                 {expect_write("RSET\r\n"), give("250 2.0.0 Ok\r\n")}});
    Conversation c = with_recipient();
    run(c, c.start_rset(), {expect_write("RSET\r\n"), give("250 2.0.0 Ok\r\n")});
    EXPECT_EQ(c.health(), Health::clean);
}

TEST(Conversation, BrokenConnectionAnswersAtOnce) {
    Conversation c = with_recipient();
    ConversationStep step = c.start_data();
    step = c.resume_failure(Failure::eof, "gone");
    run(c, c.start_dot(), {});
    expect_failed(c, false, "dot after failure");
    run(c, c.start_content("x"), {});
    expect_failed(c, false, "content after failure");
}

}  // namespace
}  // namespace mxgate::backend
