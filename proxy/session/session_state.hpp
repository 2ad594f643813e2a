// The SMTP server dialogue as a pure state machine: a parsed command in, a step
// out (a reply, or an action the session coroutine must carry out and report
// back). It owns the RFC 5321 sequencing rules, ESMTP parameter checks and the
// per-session limits; it never does I/O and never sees sockets or backends.
// Impossible transitions are asserts; client mistakes are replies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"
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
        rcpt,            // route, run the rcpt stage, ask the backend; report with on_rcpt()
        data,            // ask the backend for DATA; report a refusal with on_data_refused()
        bdat,            // read `chunk_size` bytes into the message; report with on_bdat_chunk()
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
    // A refusal `452 4.5.3` (this transaction takes no more recipients: a limit,
    // LMTP, another route) is not an error, up to limits.recipient_overshoot_limit.
    Step on_rcpt(bool accepted, core::Reply reply);
    Step on_data_refused(core::Reply reply);   // backend or policy refused DATA
    // Final reply to end of data, to BDAT LAST, or to a BDAT chunk that failed:
    // the transaction is over either way.
    Step on_message_done(core::Reply reply);
    void on_tls_started();
    // XCLIENT was carried out: back to the just-connected state, greeted when
    // the new identity includes a HELO name (as if the client had sent HELO).
    void on_xclient_done(const std::string& helo);
    // A stage verdict that ends the session (421).
    Step on_disconnect(core::Reply reply);

    // What the session needs to know.
    bool esmtp() const { return esmtp_; }
    bool tls() const { return tls_; }
    bool in_transaction() const { return mail_given_; }
    bool receiving_bdat() const { return bdat_started_; }
    const std::string& helo() const { return helo_; }
    const core::Address& sender() const { return sender_; }
    const std::vector<smtp::EsmtpParam>& mail_params() const { return mail_params_; }
    const std::vector<std::string>& recipients() const { return recipients_; }
    bool smtputf8() const { return smtputf8_; }
    unsigned transactions() const { return transactions_; }
    // The RCPT currently being decided (valid between Action::rcpt and on_rcpt).
    const smtp::Command& pending_rcpt() const { return pending_rcpt_; }

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
    std::size_t deferred_recipients_ = 0;  // 452 4.5.3 replies in this transaction
    smtp::Command pending_rcpt_;
};

}  // namespace mxgate::session
