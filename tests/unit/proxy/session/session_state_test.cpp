// SessionState: the RFC 5321 dialogue rules, driven command by command.
#include "proxy/session/session_state.hpp"

#include <gtest/gtest.h>

#include "proxy/smtp/command.hpp"

namespace mxgate::session {
namespace {

using Action = Step::Action;

class SessionStateTest : public ::testing::Test {
protected:
    SessionStateTest() {
        limits_.max_recipients = 3; limits_.max_errors = 5; limits_.max_junk_commands = 4;
        mx_.name = "mx";
        store_.name = "store";
    }

    SessionState make(bool tls_available = true, bool xclient_allowed = false) {
        return SessionState({"mx.test", tls_available, &limits_}, false, xclient_allowed);
    }

    // The step for one command line, as the session gets it.
    static Step command(SessionState& s, std::string_view line) {
        auto parsed = smtp::parse_command(line);
        auto* parsed_command = std::get_if<smtp::Command>(&parsed);
        EXPECT_NE(parsed_command, nullptr) << line;
        return s.on_command(std::move(*parsed_command));
    }

    // A route, as the Router gives it, of the pending RCPT to `backend`.
    static Route route_to(const SessionState& s, const config::Backend& backend) {
        Route route;
        route.backend = &backend;
        route.recipient = s.pending_rcpt().address;
        return route;
    }

    // Likewise, with the helo stage accepting every greeting and every recipient routed to mx_.
    Step send(SessionState& s, std::string_view line) {
        Step step = command(s, line);
        if (step.action == Action::helo) return s.on_helo_done(true, std::move(step.reply));
        if (step.action == Action::route_rcpt) return s.on_rcpt_routed(route_to(s, mx_));
        return step;
    }

    // EHLO + MAIL accepted + one RCPT accepted.
    SessionState in_transaction() {
        SessionState s = make();
        send(s, "EHLO client.test");
        EXPECT_EQ(send(s, "MAIL FROM:<a@b.test>").action, Action::mail);
        s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
        EXPECT_EQ(send(s, "RCPT TO:<x@example.org>").action, Action::rcpt);
        s.on_rcpt(true, core::make_reply(250, "2.1.5", "Ok"));
        return s;
    }

    config::Limits limits_;
    config::Backend mx_;
    config::Backend store_;
};

TEST_F(SessionStateTest, EhloAdvertisesExtensions) {
    SessionState s = make();
    Step step = command(s, "EHLO client.test");
    ASSERT_EQ(step.action, Action::helo);
    std::string wire = step.reply.wire();
    for (const char* ext : {"250-mx.test\r\n", "PIPELINING", "SIZE 52428800", "8BITMIME", "SMTPUTF8",
                            "ENHANCEDSTATUSCODES", "STARTTLS", "CHUNKING", "DSN", "LIMITS RCPTMAX=3\r\n"})
        EXPECT_NE(wire.find(ext), std::string::npos) << ext;
    EXPECT_EQ(s.helo(), "client.test");
}

TEST_F(SessionStateTest, NoStartTlsWithoutCertificateOrAfterTls) {
    SessionState s = make(false);
    EXPECT_EQ(send(s, "EHLO c").reply.wire().find("STARTTLS"), std::string::npos);
    EXPECT_EQ(send(s, "STARTTLS").reply.code, 502);

    SessionState t = make(true);
    send(t, "EHLO c");
    EXPECT_EQ(send(t, "STARTTLS").action, Action::starttls);
    t.on_tls_started();
    EXPECT_EQ(send(t, "MAIL FROM:<a@b.test>").reply.code, 503) << "RFC 3207: EHLO again after TLS";
    EXPECT_EQ(send(t, "EHLO c").reply.wire().find("STARTTLS"), std::string::npos);
    EXPECT_EQ(send(t, "STARTTLS").reply.code, 503);
}

TEST_F(SessionStateTest, SequenceErrors) {
    SessionState s = make();
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test>").reply.code, 503);
    send(s, "EHLO c");
    EXPECT_EQ(send(s, "RCPT TO:<x@example.org>").reply.code, 503);
    EXPECT_EQ(send(s, "DATA").reply.code, 503);
    Step bdat = send(s, "BDAT 10 LAST");
    EXPECT_EQ(bdat.action, Action::bdat_discard) << "the chunk must still be read";
    EXPECT_EQ(bdat.chunk_size, 10u);
    EXPECT_EQ(bdat.reply.code, 503);
}

TEST_F(SessionStateTest, DataWithoutAcceptedRecipientIs554) {
    SessionState s = make();
    send(s, "EHLO c");
    send(s, "MAIL FROM:<>");
    s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
    send(s, "RCPT TO:<x@example.org>");
    s.on_rcpt(false, core::make_reply(550, "5.1.1", "no such user"));
    EXPECT_EQ(send(s, "DATA").reply.code, 554);
}

TEST_F(SessionStateTest, NestedMailAndRset) {
    SessionState s = in_transaction();
    EXPECT_EQ(send(s, "MAIL FROM:<c@d.test>").reply.code, 503);
    EXPECT_EQ(send(s, "RSET").reply.code, 250);
    EXPECT_FALSE(s.in_transaction());
    EXPECT_EQ(send(s, "MAIL FROM:<c@d.test>").action, Action::mail);
}

TEST_F(SessionStateTest, EhloResetsTransaction) {
    SessionState s = in_transaction();
    send(s, "EHLO again");
    EXPECT_FALSE(s.in_transaction());
    EXPECT_TRUE(s.recipients().empty());
}

TEST_F(SessionStateTest, RecipientLimitIs452) {
    SessionState s = in_transaction();
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(send(s, "RCPT TO:<y@example.org>").action, Action::rcpt);
        s.on_rcpt(true, core::make_reply(250, "2.1.5", "Ok"));
    }
    Step over = send(s, "RCPT TO:<z@example.org>");
    EXPECT_EQ(over.reply.code, 452);
    EXPECT_EQ(over.reply.enhanced, "4.5.3");
}

// Postfix smtpd_recipient_overshoot_limit: a 452 4.5.3 recipient is retried in
// another transaction, so it is no client error until the overshoot limit.
TEST_F(SessionStateTest, RecipientsOverTheLimitAreNotErrorsUpToTheOvershootLimit) {
    limits_.recipient_overshoot_limit = 10;  // max_errors = 5, max_recipients = 3
    SessionState s = in_transaction();
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(send(s, "RCPT TO:<y@example.org>").action, Action::rcpt);
        s.on_rcpt(true, core::make_reply(250, "2.1.5", "Ok"));
    }
    for (int i = 0; i < 10; ++i) {
        Step over = send(s, "RCPT TO:<z@example.org>");
        ASSERT_EQ(over.action, Action::reply) << i;
        EXPECT_EQ(over.reply.wire(), "452 4.5.3 Error: too many recipients\r\n");
    }
    // From now on each one counts toward max_errors.
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, "RCPT TO:<z@example.org>").action, Action::reply) << i;
    EXPECT_EQ(send(s, "RCPT TO:<z@example.org>").action, Action::close);
}

// A route's, LMTP's or the backend's 452 4.5.3 is the same kind of refusal.
TEST_F(SessionStateTest, RouteDeferralsAreNotErrorsAndTheCountIsPerTransaction) {
    limits_.recipient_overshoot_limit = 2;
    SessionState s = in_transaction();
    for (int i = 0; i < 2; ++i) {
        command(s, "RCPT TO:<other@example.net>");
        EXPECT_EQ(s.on_rcpt_routed(route_to(s, store_)).action, Action::reply);
    }
    EXPECT_EQ(send(s, "DATA").action, Action::data) << "the accepted recipient keeps the transaction going";
    ASSERT_EQ(s.on_message_done(core::make_reply(250, "2.0.0", "queued")).action, Action::reply);
    // A new transaction starts with a fresh overshoot allowance.
    send(s, "MAIL FROM:<a@b.test>");
    s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
    send(s, "RCPT TO:<x@example.org>");
    s.on_rcpt(true, core::make_reply(250, "2.1.5", "Ok"));
    for (int i = 0; i < 2; ++i) {
        command(s, "RCPT TO:<other@example.net>");
        EXPECT_EQ(s.on_rcpt_routed(route_to(s, store_)).action, Action::reply);
    }
    // Past it, and other refusals always, count toward max_errors (5).
    for (int i = 0; i < 4; ++i) {
        command(s, "RCPT TO:<other@example.net>");
        EXPECT_EQ(s.on_rcpt_routed(route_to(s, store_)).action, Action::reply);
    }
    send(s, "RCPT TO:<nobody@example.org>");
    EXPECT_EQ(s.on_rcpt(false, core::make_reply(550, "5.1.1", "no such user")).action, Action::close);
}

TEST_F(SessionStateTest, OneDestinationPerTransaction) {
    SessionState s = in_transaction();  // x@example.org, to mx_
    command(s, "RCPT TO:<other@example.net>");
    EXPECT_EQ(s.on_rcpt_routed(route_to(s, store_)).reply.wire(),
              "452 4.5.3 Error: recipient for another destination, send it in a separate transaction\r\n");
    EXPECT_EQ(send(s, "RCPT TO:<y@example.org>").action, Action::rcpt) << "the same destination is welcome";

    // Before a recipient is accepted, any destination may start the transaction.
    send(s, "RSET");
    send(s, "MAIL FROM:<a@b.test>");
    s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
    send(s, "RCPT TO:<x@example.org>");
    s.on_rcpt(false, core::make_reply(550, "5.1.1", "no such user"));
    command(s, "RCPT TO:<other@example.net>");
    ASSERT_EQ(s.on_rcpt_routed(route_to(s, store_)).action, Action::rcpt);
    EXPECT_EQ(&s.pending_destination(), &store_);
}

TEST_F(SessionStateTest, RouteRefusalIsCounted) {
    limits_.max_errors = 1;
    SessionState s = in_transaction();
    command(s, "RCPT TO:<a@elsewhere.test>");
    Route refused;
    refused.refusal = core::make_reply(550, "5.7.1", "Error: relay access denied");
    EXPECT_EQ(s.on_rcpt_routed(refused).action, Action::close);
}

// The address the route gives (<Postmaster> rewritten) is the recipient from then
// on: what the backend is asked for, the filters and the log see.
TEST_F(SessionStateTest, RoutedRecipientIsTheOneKept) {
    SessionState s = in_transaction();
    command(s, "RCPT TO:<Postmaster>");
    Route route = route_to(s, mx_);
    route.recipient = core::Address{"postmaster", "example.org", false};
    ASSERT_EQ(s.on_rcpt_routed(route).action, Action::rcpt);
    EXPECT_EQ(s.pending_rcpt().address.str(), "postmaster@example.org");
    s.on_rcpt(true, core::make_reply(250, "2.1.5", "Ok"));
    EXPECT_EQ(s.recipients(), (std::vector<std::string>{"x@example.org", "postmaster@example.org"}));
}

TEST_F(SessionStateTest, NoOvershootAllowanceCountsEveryDeferral) {
    limits_.recipient_overshoot_limit = 0;
    limits_.max_recipients = 1;
    SessionState s = in_transaction();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, "RCPT TO:<z@example.org>").action, Action::reply) << i;
    EXPECT_EQ(send(s, "RCPT TO:<z@example.org>").action, Action::close);
}

TEST_F(SessionStateTest, SizeParameter) {
    SessionState s = make();
    send(s, "EHLO c");
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> SIZE=52428801").reply.code, 552);
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> SIZE=x").reply.code, 501);
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> SIZE=52428800").action, Action::mail);
}

TEST_F(SessionStateTest, MailParameters) {
    SessionState s = make();
    send(s, "EHLO c");
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> FOO=bar").reply.code, 555);
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> BODY=BINARYMIME").reply.code, 501);
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> RET=ALL").reply.code, 501);
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> BODY=8BITMIME RET=HDRS ENVID=abc+2B").action, Action::mail);
}

TEST_F(SessionStateTest, Utf8NeedsSmtputf8) {
    SessionState s = make();
    send(s, "EHLO c");
    Step refused = send(s, "MAIL FROM:<j\xc3\xb6rg@b.test>");
    EXPECT_EQ(refused.reply.code, 553);
    EXPECT_EQ(refused.reply.enhanced, "5.6.7");
    EXPECT_EQ(send(s, "MAIL FROM:<j\xc3\xb6rg@b.test> SMTPUTF8").action, Action::mail);
    s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
    EXPECT_TRUE(s.smtputf8());
    EXPECT_EQ(send(s, "RCPT TO:<m\xc3\xbcller@example.org>").action, Action::rcpt);
}

TEST_F(SessionStateTest, RcptParametersNeedDsnSyntax) {
    SessionState s = in_transaction();
    EXPECT_EQ(send(s, "RCPT TO:<y@example.org> NOTIFY=SOMETIMES").reply.code, 501);
    EXPECT_EQ(send(s, "RCPT TO:<y@example.org> ORCPT=nosemicolon").reply.code, 501);
    EXPECT_EQ(send(s, "RCPT TO:<y@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;y@example.org").action,
              Action::rcpt);
}

TEST_F(SessionStateTest, HeloRefusesEsmtpParameters) {
    SessionState s = make();
    send(s, "HELO c");
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test> SIZE=10").reply.code, 555);
}

TEST_F(SessionStateTest, SimpleCommands) {
    SessionState s = make();
    EXPECT_EQ(send(s, "NOOP").reply.code, 250);
    EXPECT_EQ(send(s, "HELP").reply.code, 214);
    EXPECT_EQ(send(s, "VRFY someone").reply.code, 252);
    EXPECT_EQ(send(s, "EXPN list").reply.code, 502);
    Step quit = send(s, "QUIT");
    EXPECT_EQ(quit.action, Action::close);
    EXPECT_EQ(quit.reply.code, 221);
}

TEST_F(SessionStateTest, ErrorLimitCloses) {
    SessionState s = make();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, "FOO").action, Action::reply);
    Step last = send(s, "FOO");
    EXPECT_EQ(last.action, Action::close);
    EXPECT_EQ(last.reply.code, 421);
}

TEST_F(SessionStateTest, DeliveredMailResetsTheErrorCount) {
    SessionState s = make();
    send(s, "EHLO c");
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 4; ++i) ASSERT_EQ(send(s, "FOO").action, Action::reply);
        send(s, "MAIL FROM:<a@b.test>");
        s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
        send(s, "RCPT TO:<x@example.org>");
        s.on_rcpt(true, core::make_reply(250, "2.1.5", "Ok"));
        ASSERT_EQ(s.on_message_done(core::make_reply(250, "2.0.0", "queued")).action, Action::reply);
    }
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, "FOO").action, Action::reply);
    EXPECT_EQ(send(s, "FOO").action, Action::close);
}

TEST_F(SessionStateTest, JunkLimitCloses) {
    SessionState s = make();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, "NOOP").action, Action::reply);
    EXPECT_EQ(send(s, "NOOP").action, Action::close);
}

// Greeting again is junk (Postfix flags HELO and EHLO so); max_junk_commands = 4.
TEST_F(SessionStateTest, RepeatedGreetingsAreJunk) {
    SessionState s = make();
    EXPECT_EQ(command(s, "EHLO c").action, Action::helo) << "the first greeting is no junk";
    s.on_helo_done(true, core::make_reply(250, "", "mx.test"));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, i % 2 ? "HELO c" : "EHLO c").action, Action::reply) << i;
    Step last = command(s, "EHLO c");
    EXPECT_EQ(last.action, Action::close) << "no helo stage for a greeting over the limit";
    EXPECT_EQ(last.reply.code, 421);
}

TEST_F(SessionStateTest, TheEhloAfterStartTlsIsNoJunk) {
    limits_.max_junk_commands = 1;
    SessionState s = make();
    send(s, "EHLO c");
    ASSERT_EQ(send(s, "STARTTLS").action, Action::starttls);
    s.on_tls_started();
    EXPECT_EQ(send(s, "EHLO c").action, Action::reply) << "RFC 3207 requires it";
    EXPECT_EQ(send(s, "EHLO c").action, Action::reply) << "junk 1 of 1";
    EXPECT_EQ(send(s, "EHLO c").action, Action::close);
}

// A greeting the helo stage refused leaves the session ungreeted.
TEST_F(SessionStateTest, RefusedGreetingLeavesTheSessionUngreeted) {
    SessionState s = make();
    ASSERT_EQ(command(s, "EHLO bad.example").action, Action::helo);
    EXPECT_EQ(s.helo(), "bad.example") << "the helo stage sees the name";
    Step refused = s.on_helo_done(false, core::make_reply(550, "5.7.1", "Go away"));
    EXPECT_EQ(refused.action, Action::reply);
    EXPECT_EQ(refused.reply.wire(), "550 5.7.1 Go away\r\n");
    EXPECT_EQ(s.helo(), "") << "a refused name is forgotten";
    EXPECT_FALSE(s.esmtp());
    Step mail = send(s, "MAIL FROM:<a@b.test>");
    EXPECT_EQ(mail.reply.wire(), "503 5.5.1 Error: send HELO/EHLO first\r\n");

    // An accepted greeting after a refused one greets, and is no junk.
    ASSERT_EQ(command(s, "EHLO good.example").action, Action::helo);
    EXPECT_EQ(s.on_helo_done(true, core::make_reply(250, "", "mx.test")).reply.code, 250);
    EXPECT_TRUE(s.esmtp());
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test>").action, Action::mail);
}

TEST_F(SessionStateTest, RefusedGreetingAfterAnAcceptedOneUngreetsToo) {
    SessionState s = make();
    send(s, "EHLO good.example");
    ASSERT_EQ(command(s, "HELO bad.example").action, Action::helo);
    s.on_helo_done(false, core::make_reply(550, "5.7.1", "Go away"));
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test>").reply.code, 503);
}

TEST_F(SessionStateTest, RefusedGreetingsCountAsErrors) {
    SessionState s = make();  // max_errors = 5
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(command(s, "EHLO bad.example").action, Action::helo) << "ungreeted: no junk";
        EXPECT_EQ(s.on_helo_done(false, core::make_reply(550, "5.7.1", "Go away")).action, Action::reply);
    }
    command(s, "EHLO bad.example");
    EXPECT_EQ(s.on_helo_done(false, core::make_reply(550, "5.7.1", "Go away")).action, Action::close);
}

TEST_F(SessionStateTest, BdatFlow) {
    SessionState s = in_transaction();
    Step chunk = send(s, "BDAT 100");
    EXPECT_EQ(chunk.action, Action::bdat);
    EXPECT_FALSE(chunk.last_chunk);
    EXPECT_TRUE(s.receiving_bdat());
    EXPECT_EQ(send(s, "DATA").reply.code, 503);
    EXPECT_EQ(send(s, "RCPT TO:<y@example.org>").reply.code, 503);
    Step last = send(s, "BDAT 0 LAST");
    EXPECT_EQ(last.action, Action::bdat);
    EXPECT_TRUE(last.last_chunk);
    Step done = s.on_message_done(core::make_reply(250, "2.0.0", "queued"));
    EXPECT_EQ(done.reply.code, 250);
    EXPECT_FALSE(s.in_transaction());
}

TEST_F(SessionStateTest, BackendRefusalIsPassedThroughAndCounted) {
    SessionState s = in_transaction();
    core::Reply refusal;
    refusal.code = 550;
    refusal.enhanced = "5.1.1";
    refusal.lines = {"no such user", "really"};
    Step step = s.on_rcpt(false, refusal);
    EXPECT_EQ(step.reply.lines.size(), 2u) << "multi-line backend replies stay whole";
}

TEST_F(SessionStateTest, TransactionLimitCloses) {
    limits_.max_transactions_per_session = 1;
    SessionState s = make();
    send(s, "EHLO c");
    send(s, "MAIL FROM:<a@b.test>");
    s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
    send(s, "RSET");
    Step over = send(s, "MAIL FROM:<a@b.test>");
    EXPECT_EQ(over.action, Action::close);
    EXPECT_EQ(over.reply.code, 421);
}

// ---- XCLIENT (Postfix XCLIENT_README) ----

TEST_F(SessionStateTest, XclientOnlyForAuthorizedClientsAndAdvertisedOnlyToThem) {
    SessionState stranger = make();
    EXPECT_EQ(send(stranger, "EHLO c").reply.wire().find("XCLIENT"), std::string::npos);
    Step refused = send(stranger, "XCLIENT ADDR=192.0.2.7");
    EXPECT_EQ(refused.action, Action::reply);
    EXPECT_EQ(refused.reply.code, 550);
    EXPECT_EQ(refused.reply.enhanced, "5.7.0");
    EXPECT_EQ(refused.reply.wire(), "550 5.7.0 Error: insufficient authorization\r\n");
    // Even a bad attribute gets 550: a stranger learns nothing about the syntax.
    EXPECT_EQ(send(stranger, "XCLIENT LOGIN=joe").reply.code, 550);

    SessionState front_end = make(true, true);
    EXPECT_NE(send(front_end, "EHLO c").reply.wire().find("XCLIENT ADDR PORT NAME HELO PROTO\r\n"),
              std::string::npos);
}

TEST_F(SessionStateTest, XclientRefusalsCountAsErrors) {
    SessionState s = make();  // max_errors = 5
    for (int i = 0; i < 4; ++i) EXPECT_EQ(send(s, "XCLIENT ADDR=192.0.2.7").action, Action::reply);
    Step last = send(s, "XCLIENT ADDR=192.0.2.7");
    EXPECT_EQ(last.action, Action::close);
    EXPECT_EQ(last.reply.code, 421);
}

TEST_F(SessionStateTest, XclientStepCarriesDecodedAttributes) {
    SessionState s = make(true, true);
    Step step = send(s, "XCLIENT ADDR=192.0.2.7 HELO=a+2Bb.example PORT=[UNAVAILABLE]");
    ASSERT_EQ(step.action, Action::xclient);
    EXPECT_EQ(step.xclient.address, "192.0.2.7");
    EXPECT_EQ(step.xclient.helo, "a+b.example");
    EXPECT_EQ(step.xclient.port, 0);
    EXPECT_EQ(step.xclient.name, std::nullopt);

    Step bad = send(s, "XCLIENT LOGIN=joe");
    EXPECT_EQ(bad.reply.code, 501);
    EXPECT_EQ(bad.reply.enhanced, "5.5.4");
    EXPECT_NE(bad.reply.wire().find("LOGIN"), std::string::npos) << "the reply names the attribute";
    EXPECT_EQ(send(s, "XCLIENT ADDR=999.0.0.1").reply.code, 501);
}

TEST_F(SessionStateTest, XclientRefusedDuringMailTransaction) {
    SessionState s(ServerSettings{"mx.test", true, &limits_}, false, true);
    send(s, "EHLO c");
    ASSERT_EQ(send(s, "MAIL FROM:<a@b.test>").action, Action::mail);
    s.on_mail(true, core::make_reply(250, "2.1.0", "Ok"));
    Step refused = send(s, "XCLIENT ADDR=192.0.2.7");
    EXPECT_EQ(refused.reply.wire(), "503 5.5.1 Error: MAIL transaction in progress\r\n");
    EXPECT_TRUE(s.in_transaction()) << "the transaction goes on";
}

TEST_F(SessionStateTest, XclientDoneRestartsTheSession) {
    SessionState s = make(true, true);
    send(s, "EHLO frontend.example");
    s.on_xclient_done({});  // no HELO given: as if just connected
    EXPECT_EQ(s.helo(), "");
    EXPECT_FALSE(s.esmtp());
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test>").reply.code, 503) << "HELO/EHLO first, as after connecting";
    EXPECT_NE(send(s, "EHLO c").reply.wire().find("XCLIENT"), std::string::npos)
        << "still allowed: authorization follows the connection, not the new address";

    smtp::XclientAttributes named;
    named.helo = "relay.example";
    s.on_xclient_done(named);  // HELO given: as if the client had sent HELO
    EXPECT_EQ(s.helo(), "relay.example");
    EXPECT_FALSE(s.esmtp());
    EXPECT_EQ(send(s, "MAIL FROM:<a@b.test>").action, Action::mail);
    EXPECT_EQ(send(s, "XCLIENT ADDR=192.0.2.8").action, Action::xclient) << "MAIL not accepted yet: no transaction";
}

// The greeting has one owner: what XCLIENT names replaces the old session's,
// and the backend is told the front-end's PROTO until the client greets again.
TEST_F(SessionStateTest, HeloAfterXclientIsTheFrontEndsUntilTheClientGreets) {
    SessionState s = make(true, true);
    send(s, "EHLO frontend.example");
    EXPECT_TRUE(s.client_esmtp());

    smtp::XclientAttributes given;
    given.helo = "relay.example";
    given.proto = "SMTP";
    s.on_xclient_done(given);
    EXPECT_EQ(s.helo(), "relay.example");
    EXPECT_FALSE(s.client_esmtp()) << "PROTO=SMTP";

    s.on_xclient_done(smtp::XclientAttributes{});
    EXPECT_EQ(s.helo(), "") << "a HELO name not given is forgotten";

    given.proto = "ESMTP";
    s.on_xclient_done(given);
    EXPECT_TRUE(s.client_esmtp()) << "PROTO=ESMTP";
    EXPECT_FALSE(s.esmtp()) << "ESMTP parameters wait for the client's own EHLO";

    send(s, "HELO client.example");
    EXPECT_EQ(s.helo(), "client.example");
    EXPECT_FALSE(s.client_esmtp()) << "the client's own HELO replaces the front-end's PROTO";
}

}  // namespace
}  // namespace mxgate::session
