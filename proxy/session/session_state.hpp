// The SMTP server dialogue as a pure state machine: a parsed command in, a step
// out (a reply, or an action the session coroutine must carry out and report
// back). It owns the RFC 5321 sequencing rules, ESMTP parameter checks and the
// per-session and per-transaction limits, and the facts they rest on (greeting,
// TLS, envelope); it never does I/O and never sees sockets or backends.
// Impossible transitions are asserts; client mistakes are replies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/session/router.hpp"
#include "proxy/smtp/command.hpp"
#include "proxy/core/reply.hpp"
#include "proxy/smtp/xclient.hpp"

namespace mxgate::session {

struct Step {
    enum class Action : std::uint8_t {
        reply,           // send `reply`, nothing else
        close,           // send `reply` (221 or 421), then close the connection
        helo,            // run the helo stage; report with on_helo_done() (`reply` if accepted)
        mail,            // run the mail stage; report with on_mail()
        route_rcpt,      // route pending_rcpt() (Router::route); report with on_rcpt_routed()
        rcpt,            // run the rcpt stage, ask pending_destination(); report with on_rcpt()
        data,            // ask the backend for DATA, read the message; report with on_data_refused()
                         // or, at the end, on_message_done()
        bdat,            // read `chunk_size` bytes into the message; report LAST or a failure
                         // with on_message_done()
        bdat_discard,    // read and drop `chunk_size` bytes, then send `reply` (keeps the stream in sync)
        starttls,        // send `reply` (220), then handshake; report with on_tls_started()
        xclient,         // take `xclient` as the client's identity, restart the session; report with on_xclient_done()
    };
    Action action = Action::reply;
    core::Reply reply;
    std::uint64_t chunk_size = 0;  // bdat, bdat_discard
    bool last_chunk = false;       // bdat: BDAT ... LAST
    smtp::XclientAttributes xclient;  // xclient: checked and decoded
};

struct ServerSettings {            // what the session offers, fixed per listener and config
    std::string hostname;
    bool tls_available = false;    // STARTTLS may be offered on this listener
    const config::Limits* limits = nullptr;
};

class SessionState {
public:
    // `xclient_allowed`: the connection comes from xclient_networks (Postfix
    // smtpd_authorized_xclient_hosts); it stays so after XCLIENT changes the address.
    SessionState(ServerSettings settings, bool tls_active, bool xclient_allowed = false);

    core::Reply greeting(const std::string& banner) const;

    // A parsed command. `command` is moved from where needed (the state keeps
    // the envelope: sender, params, recipients).
    Step on_command(smtp::Command&& command);
    // A line the reader or parser refused.
    Step on_bad_line(core::Reply reply);

    // Results of actions, as the session learned them.
    // The helo stage's outcome: the client is greeted only when it accepted.
    Step on_helo_done(bool accepted, core::Reply reply);
    Step on_mail(bool accepted, core::Reply reply);
    // The route of pending_rcpt(): a refusal, or a recipient that this transaction
    // takes (one destination per transaction; an LMTP route may take fewer: Session::do_rcpt).
    Step on_rcpt_routed(Route route);
    // Policy's `route:` names another backend for the pending recipient; the
    // refusal when earlier recipients go elsewhere (one message, one backend).
    std::optional<core::Reply> redirect_pending(const config::Backend& backend);
    // A refusal `452 4.5.3` (this transaction takes no more recipients: a limit,
    // LMTP, another route) is not an error, up to limits.recipient_overshoot_limit.
    Step on_rcpt(bool accepted, core::Reply reply);
    Step on_data_refused(core::Reply reply);   // backend or policy refused DATA
    // Final reply to end of data, to BDAT LAST, or to a BDAT chunk that failed:
    // the transaction is over either way.
    Step on_message_done(core::Reply reply);
    void on_tls_started();
    // XCLIENT was carried out: back to the just-connected state, greeted when
    // the front-end named a HELO name (as if the client had sent HELO). HELO and
    // PROTO not given are forgotten: the client has not greeted the new session.
    void on_xclient_done(const smtp::XclientAttributes& given);
    // A stage verdict that ends the session (421).
    Step on_disconnect(core::Reply reply);

    // What the session needs to know.
    // EHLO (not HELO) in this session: ESMTP parameters are accepted, Received says ESMTP.
    bool esmtp() const { return esmtp_; }
    // TLS is active (implicit or after STARTTLS). The one record of it: the
    // filters' view and the log ask here, the stream only knows cipher and version.
    bool tls() const { return tls_; }
    bool in_transaction() const { return mail_given_; }
    bool receiving_bdat() const { return bdat_started_; }
    // The client's greeting, the one record of it: the name given with HELO/EHLO
    // (or XCLIENT HELO), empty before a greeting and after a refused one or STARTTLS.
    const std::string& helo() const { return helo_; }
    // The protocol the backend is told (XCLIENT/XFORWARD PROTO): the client's own
    // EHLO or HELO, or what a front-end named with XCLIENT PROTO.
    bool client_esmtp() const { return client_esmtp_; }
    const core::Address& sender() const { return sender_; }
    const std::vector<smtp::EsmtpParam>& mail_params() const { return mail_params_; }
    const std::vector<std::string>& recipients() const { return recipients_; }
    bool smtputf8() const { return smtputf8_; }
    unsigned transactions() const { return transactions_; }
    // The RCPT currently being decided (valid from Action::route_rcpt to on_rcpt);
    // once routed, its address is the one to deliver to (<Postmaster> rewritten).
    const smtp::Command& pending_rcpt() const { return pending_rcpt_; }
    // Where it goes (valid from Action::rcpt to on_rcpt).
    const config::Backend& pending_destination() const { return *pending_destination_; }

private:
    Step reply(int code, const char* enhanced, std::string text);
    Step error(int code, const char* enhanced, std::string text);  // counts towards max_errors
    Step counted(core::Reply reply);                                // likewise, for a given reply
    Step junk(Step step);  // counts towards max_junk_commands
    // 452 4.5.3: a recipient for a later transaction; counts only past recipient_overshoot_limit.
    Step recipient_deferred(core::Reply reply);
    Step on_ehlo(smtp::Command&& command, bool esmtp);
    Step on_mail_command(smtp::Command&& command);
    Step on_rcpt_command(smtp::Command&& command);
    Step on_data_command();
    Step on_bdat_command(const smtp::Command& command);
    Step on_starttls();
    Step on_xclient_command(smtp::Command&& command);
    core::Reply ehlo_reply() const;
    void reset_transaction();

    ServerSettings settings_;
    bool tls_ = false;
    bool xclient_allowed_ = false;
    bool greeted_ = false;
    bool esmtp_ = false;
    bool client_esmtp_ = true;
    std::string helo_;
    unsigned errors_ = 0;
    unsigned junk_ = 0;
    unsigned transactions_ = 0;

    // The current transaction.
    bool mail_given_ = false;
    bool smtputf8_ = false;
    bool bdat_started_ = false;
    core::Address sender_;
    std::vector<smtp::EsmtpParam> mail_params_;
    std::vector<std::string> recipients_;
    const config::Backend* destination_ = nullptr;  // of the accepted recipients
    std::size_t deferred_recipients_ = 0;  // 452 4.5.3 replies in this transaction
    smtp::Command pending_rcpt_;
    const config::Backend* pending_destination_ = nullptr;
};

}  // namespace mxgate::session
