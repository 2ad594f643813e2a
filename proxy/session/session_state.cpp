#include "proxy/session/session_state.hpp"

#include <cassert>
#include <string_view>

#include "proxy/core/text.hpp"

namespace mxgate::session {

using smtp::Verb;

namespace {

// RFC 3461 §4.1: NOTIFY=NEVER or any of SUCCESS,FAILURE,DELAY.
bool valid_notify(std::string_view value) {
    if (core::iequals(value, "NEVER")) return true;
    while (!value.empty()) {
        auto comma = value.find(',');
        auto item = value.substr(0, comma);
        if (!core::iequals(item, "SUCCESS") && !core::iequals(item, "FAILURE") && !core::iequals(item, "DELAY")) return false;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return true;
}

bool all_digits(std::string_view s) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

SessionState::SessionState(ServerSettings settings, bool tls_active, bool xclient_allowed)
    : settings_(std::move(settings)), tls_(tls_active), xclient_allowed_(xclient_allowed) {
    assert(settings_.limits != nullptr);
}

core::Reply SessionState::greeting(const std::string& banner) const {
    return core::make_reply(220, "", settings_.hostname + " " + banner);
}

Step SessionState::reply(int code, const char* enhanced, std::string text) {
    return {Step::Action::reply, core::make_reply(code, enhanced, text)};
}

Step SessionState::error(int code, const char* enhanced, std::string text) {
    return counted(core::make_reply(code, enhanced, text));
}

Step SessionState::counted(core::Reply r) {
    // Postfix smtpd_hard_error_limit: a client that keeps failing is cut off.
    if (++errors_ >= settings_.limits->max_errors)
        return {Step::Action::close, core::make_reply(421, "4.7.0", settings_.hostname + " Error: too many errors")};
    return {Step::Action::reply, std::move(r)};
}

Step SessionState::recipient_deferred(core::Reply r) {
    // RFC 5321 §4.5.3.1.10: the client retries these recipients in another
    // transaction, so they are no mistake; past Postfix's
    // smtpd_recipient_overshoot_limit (per message, too) each one counts again.
    if (deferred_recipients_++ < settings_.limits->recipient_overshoot_limit) return {Step::Action::reply, std::move(r)};
    return counted(std::move(r));
}

Step SessionState::junk(Step step) {
    if (++junk_ > settings_.limits->max_junk_commands)
        return {Step::Action::close, core::make_reply(421, "4.7.0", settings_.hostname + " Error: too many commands")};
    return step;
}

Step SessionState::on_bad_line(core::Reply r) { return counted(std::move(r)); }

Step SessionState::on_command(smtp::Command&& command) {
    switch (command.verb) {
        case Verb::ehlo: return on_ehlo(std::move(command), true);
        case Verb::helo: return on_ehlo(std::move(command), false);
        case Verb::mail: return on_mail_command(std::move(command));
        case Verb::rcpt: return on_rcpt_command(std::move(command));
        case Verb::data: return on_data_command();
        case Verb::bdat: return on_bdat_command(command);
        case Verb::starttls: return on_starttls();
        case Verb::xclient: return on_xclient_command(std::move(command));
        case Verb::rset:
            reset_transaction();
            return junk(reply(250, "2.0.0", "Ok"));
        case Verb::noop: return junk(reply(250, "2.0.0", "Ok"));
        case Verb::quit: return {Step::Action::close, core::make_reply(221, "2.0.0", "Bye")};
        case Verb::help: return junk(reply(214, "2.0.0", "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS"));
        // RFC 5321 §3.5.3: 252 when the server will accept mail without verifying.
        case Verb::vrfy:
            if (command.argument.empty()) return error(501, "5.5.4", "Syntax: VRFY address");
            return junk(reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
        case Verb::expn: return junk(error(502, "5.5.1", "EXPN not available"));
        // RFC 5321 §4.2.4: 500 for a command we do not recognize.
        case Verb::unknown: return error(500, "5.5.2", "Error: command not recognized");
    }
    assert(false && "unhandled verb");
    return error(502, "5.5.2", "Error: command not recognized");
}

Step SessionState::on_ehlo(smtp::Command&& command, bool esmtp) {
    // RFC 5321 §4.1.4: EHLO/HELO later in the session acts like RSET.
    reset_transaction();
    // Greeting again is junk (Postfix flags HELO and EHLO as junk-limited); the
    // EHLO that RFC 3207 requires after STARTTLS is not, as TLS forgot the first.
    const bool repeated = greeted_;
    greeted_ = false;  // until the helo stage accepts: on_helo_done()
    esmtp_ = esmtp;
    client_esmtp_ = esmtp;
    helo_ = std::move(command.argument);
    Step step{Step::Action::helo, esmtp ? ehlo_reply() : core::make_reply(250, "", settings_.hostname)};
    return repeated ? junk(std::move(step)) : step;
}

Step SessionState::on_helo_done(bool accepted, core::Reply r) {
    if (accepted) {
        greeted_ = true;
        return {Step::Action::reply, std::move(r)};
    }
    // Refused: as if no HELO had been sent, so MAIL gets 503; a refusal is an
    // error (Postfix smtpd_helo_restrictions), which also bounds the retries.
    esmtp_ = false;
    client_esmtp_ = false;
    helo_.clear();
    return counted(std::move(r));
}

core::Reply SessionState::ehlo_reply() const {
    core::Reply r;
    r.code = 250;
    r.lines = {settings_.hostname, "PIPELINING", "SIZE " + std::to_string(settings_.limits->max_message_size.bytes),
               "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"};
    if (settings_.tls_available && !tls_) r.lines.push_back("STARTTLS");
    r.lines.push_back("CHUNKING");
    r.lines.push_back("DSN");
    // RFC 9422: a client that reads it sends no more recipients than we take,
    // rather than learning it from 452s.
    r.lines.push_back("LIMITS RCPTMAX=" + std::to_string(settings_.limits->max_recipients));
    // Advertised only to those who may use it, as Postfix does.
    if (xclient_allowed_) r.lines.push_back(std::string("XCLIENT ") + smtp::xclient_attribute_names);
    return r;
}

Step SessionState::on_mail_command(smtp::Command&& command) {
    if (!greeted_) return error(503, "5.5.1", "Error: send HELO/EHLO first");
    if (mail_given_) return error(503, "5.5.1", "Error: nested MAIL command");
    if (transactions_ >= settings_.limits->max_transactions_per_session)
        return {Step::Action::close, core::make_reply(421, "4.7.0", settings_.hostname + " Error: too many messages in one session")};
    if (!esmtp_ && !command.params.empty()) return error(555, "5.5.4", "Error: ESMTP parameters need EHLO");

    bool smtputf8 = false;
    for (const auto& [key, value] : command.params) {
        if (key == "SIZE") {
            if (!all_digits(value)) return error(501, "5.5.4", "Error: bad SIZE value");
            // RFC 1870 §6: refuse early what cannot fit.
            if (std::stoull(value) > settings_.limits->max_message_size.bytes)
                return error(552, "5.3.4", "Error: message size exceeds fixed limit");
        } else if (key == "BODY") {
            if (!core::iequals(value, "7BIT") && !core::iequals(value, "8BITMIME"))
                return error(501, "5.5.4", "Error: BODY must be 7BIT or 8BITMIME");
        } else if (key == "SMTPUTF8") {
            if (!value.empty()) return error(501, "5.5.4", "Error: SMTPUTF8 takes no value");
            smtputf8 = true;
        } else if (key == "RET") {
            if (!core::iequals(value, "FULL") && !core::iequals(value, "HDRS")) return error(501, "5.5.4", "Error: bad RET value");
        } else if (key == "ENVID") {
            if (value.empty() || value.size() > 100 || !smtp::decode_xtext(value))
                return error(501, "5.5.4", "Error: bad ENVID value");
        } else {
            return error(555, "5.5.4", "Error: unsupported MAIL parameter " + key);
        }
    }
    // RFC 6531 §3.4: a UTF-8 address needs the SMTPUTF8 parameter.
    if (command.address.utf8 && !smtputf8)
        return error(553, "5.6.7", "Error: UTF-8 address without SMTPUTF8");
    if (command.address.empty() == false && command.address.domain.empty())
        return error(501, "5.1.7", "Error: sender address must have a domain");

    sender_ = std::move(command.address);
    mail_params_ = std::move(command.params);
    smtputf8_ = smtputf8;
    return {Step::Action::mail, {}};
}

Step SessionState::on_mail(bool accepted, core::Reply r) {
    if (!accepted) {
        sender_ = {};
        mail_params_.clear();
        smtputf8_ = false;
        return counted(std::move(r));
    }
    mail_given_ = true;
    ++transactions_;
    return {Step::Action::reply, std::move(r)};
}

Step SessionState::on_rcpt_command(smtp::Command&& command) {
    if (!mail_given_) return error(503, "5.5.1", "Error: need MAIL command");
    if (bdat_started_) return error(503, "5.5.1", "Error: RCPT during BDAT");
    if (recipients_.size() >= settings_.limits->max_recipients)
        return recipient_deferred(core::make_reply(452, "4.5.3", "Error: too many recipients"));
    if (!esmtp_ && !command.params.empty()) return error(555, "5.5.4", "Error: ESMTP parameters need EHLO");
    for (const auto& [key, value] : command.params) {
        if (key == "NOTIFY") {
            if (!valid_notify(value)) return error(501, "5.5.4", "Error: bad NOTIFY value");
        } else if (key == "ORCPT") {
            auto semicolon = value.find(';');
            if (semicolon == std::string::npos || semicolon == 0 || !smtp::decode_xtext(value.substr(semicolon + 1)))
                return error(501, "5.5.4", "Error: bad ORCPT value");
        } else {
            return error(555, "5.5.4", "Error: unsupported RCPT parameter " + key);
        }
    }
    if (command.address.utf8 && !smtputf8_)
        return error(553, "5.6.7", "Error: UTF-8 address without SMTPUTF8");
    pending_rcpt_ = std::move(command);
    return {Step::Action::route_rcpt, {}};
}

Step SessionState::on_rcpt_routed(Route route) {
    if (!route.backend) return on_rcpt(false, std::move(route.refusal));
    if (auto refusal = redirect_pending(*route.backend)) return on_rcpt(false, std::move(*refusal));
    pending_rcpt_.address = std::move(route.recipient);
    return {Step::Action::rcpt, {}};
}

std::optional<core::Reply> SessionState::redirect_pending(const config::Backend& backend) {
    // The message goes to the backend once, so all its recipients must share it.
    if (!recipients_.empty() && &backend != destination_)
        return core::make_reply(452, "4.5.3",
                                "Error: recipient for another destination, send it in a separate transaction");
    pending_destination_ = &backend;
    return std::nullopt;
}

Step SessionState::on_rcpt(bool accepted, core::Reply r) {
    if (!accepted && r.code == 452 && r.enhanced == "4.5.3") return recipient_deferred(std::move(r));
    if (!accepted) return counted(std::move(r));
    recipients_.push_back(pending_rcpt_.address.str());
    destination_ = pending_destination_;
    return {Step::Action::reply, std::move(r)};
}

Step SessionState::on_data_command() {
    if (!mail_given_) return error(503, "5.5.1", "Error: need MAIL command");
    if (bdat_started_) return error(503, "5.5.1", "Error: DATA during BDAT");
    if (recipients_.empty()) return error(554, "5.5.1", "Error: no valid recipients");
    return {Step::Action::data, {}};
}

Step SessionState::on_data_refused(core::Reply r) {
    reset_transaction();
    return counted(std::move(r));
}

Step SessionState::on_bdat_command(const smtp::Command& command) {
    // RFC 3030 §4.2: the chunk follows the command whatever we answer, so an
    // error still reads it, or its bytes would be taken for commands.
    Step refused;
    if (!mail_given_)
        refused = error(503, "5.5.1", "Error: need MAIL command");
    else if (recipients_.empty())
        refused = error(554, "5.5.1", "Error: no valid recipients");
    else {
        bdat_started_ = true;
        return {Step::Action::bdat, {}, command.chunk_size, command.last_chunk};
    }
    if (refused.action == Step::Action::close) return refused;
    refused.action = Step::Action::bdat_discard;
    refused.chunk_size = command.chunk_size;
    return refused;
}

Step SessionState::on_message_done(core::Reply r) {
    reset_transaction();
    if (r.klass() == 2) {
        // The limits count mistakes made without delivering mail (Postfix
        // smtpd_hard_error_limit), so a long bulk session is not cut off.
        errors_ = 0;
        junk_ = 0;
        return {Step::Action::reply, std::move(r)};
    }
    return counted(std::move(r));
}

Step SessionState::on_starttls() {
    if (tls_) return error(503, "5.5.1", "Error: TLS already active");
    if (!settings_.tls_available) return error(502, "5.5.1", "Error: STARTTLS not available");
    if (mail_given_) return error(503, "5.5.1", "Error: STARTTLS during a mail transaction");
    return {Step::Action::starttls, core::make_reply(220, "2.0.0", "Ready to start TLS")};
}

void SessionState::on_tls_started() {
    // RFC 3207 §4.2: forget everything learned before TLS, including EHLO.
    tls_ = true;
    greeted_ = false;
    esmtp_ = false;
    helo_.clear();
    reset_transaction();
}

Step SessionState::on_xclient_command(smtp::Command&& command) {
    // Postfix's replies. Authorization first, so a stranger learns nothing more.
    if (!xclient_allowed_) return error(550, "5.7.0", "Error: insufficient authorization");
    if (mail_given_) return error(503, "5.5.1", "Error: MAIL transaction in progress");
    auto decoded = smtp::decode_xclient(command.params);
    if (auto* bad = std::get_if<smtp::XclientError>(&decoded)) return error(501, "5.5.4", std::move(bad->text));
    Step step{Step::Action::xclient, {}};
    step.xclient = std::move(std::get<smtp::XclientAttributes>(decoded));
    return step;
}

void SessionState::on_xclient_done(const smtp::XclientAttributes& given) {
    // Postfix: the session starts over as if the named client had connected.
    // The error and junk counts stay: they limit this connection, whoever it speaks for.
    helo_ = given.helo.value_or("");  // a HELO name belongs to the old session (Postfix: got_helo)
    greeted_ = !helo_.empty();
    esmtp_ = false;
    client_esmtp_ = given.proto == "ESMTP";
    reset_transaction();
}

Step SessionState::on_disconnect(core::Reply r) { return {Step::Action::close, std::move(r)}; }

void SessionState::reset_transaction() {
    mail_given_ = false;
    smtputf8_ = false;
    bdat_started_ = false;
    sender_ = {};
    mail_params_.clear();
    recipients_.clear();
    destination_ = nullptr;
    deferred_recipients_ = 0;
}

}  // namespace mxgate::session
