// The sans-I/O SMTP/LMTP client. Every reply is judged against what the step
// expects (Postfix smtpd_proxy: a surprise reply is never passed to the client).
#include "proxy/backend/conversation.hpp"

#include "proxy/backend/backend_log.hpp"

namespace mxgate::backend {

namespace {

// A backend is semi-trusted; these bound what it can make us buffer (~200 KiB).
constexpr std::size_t max_reply_line = 2048;
constexpr std::size_t max_reply_lines = 100;

bool has_param(const std::vector<smtp::EsmtpParam>& params, std::string_view keyword) {
    for (const auto& p : params) {
        if (p.first.size() != keyword.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < keyword.size() && same; ++i)
            same = (p.first[i] & ~0x20) == (keyword[i] & ~0x20);
        if (same) return true;
    }
    return false;
}

std::string_view trim_crlf(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    return line;
}

std::string_view expect_name(int expect) {
    static constexpr std::string_view names[] = {"greeting", "EHLO", "STARTTLS", "XCLIENT", "EHLO after XCLIENT",
                                                 "XFORWARD", "MAIL", "RCPT", "DATA", "end of data", "RSET"};
    return names[expect];
}

std::string_view failure_text(Failure failure) {
    switch (failure) {
    case Failure::eof: return "connection closed by backend";
    case Failure::timeout: return "timeout";
    case Failure::io_error: return "I/O error";
    case Failure::tls_error: return "TLS handshake failed";
    }
    return "failure";
}

}  // namespace

core::Reply unavailable_reply() {
    return core::make_reply(451, "4.3.0", "Backend unavailable, try again later");
}
core::Reply failure_reply() {
    return core::make_reply(451, "4.3.0", "Temporary backend failure, try again later");
}
core::Reply busy_reply() { return core::make_reply(451, "4.3.2", "Backend busy, try again later"); }
core::Reply no_recipients_reply() { return core::make_reply(554, "5.5.1", "No valid recipients"); }
core::Reply utf8_refused_reply() {
    return core::make_reply(553, "5.6.7", "SMTPUTF8 is not supported by the destination");
}

Conversation::Conversation(ConversationSettings settings) : settings_(std::move(settings)) {}

// ---------------------------------------------------------------- operations

bool Conversation::start(Op op) {
    op_ = op;
    done_ = false;
    retryable_ = false;
    reply_ = core::Reply{};
    unsent_.clear();
    in_flight_.clear();
    awaiting_.clear();
    if (health_ == Health::broken) {  // a dead connection answers every operation at once
        reply_ = failure_reply();
        done_ = true;
        return false;
    }
    if (!inbuf_.empty()) {  // the backend spoke out of turn: we are out of sync
        fail("unsolicited data", inbuf_);
        return false;
    }
    return true;
}

ConversationStep Conversation::start_connect() {
    op_ = Op::connect;
    done_ = false;
    retryable_ = false;
    connected_ = false;
    reply_ = core::Reply{};
    health_ = Health::broken;
    tls_ = false;
    caps_ = Capabilities{};
    identity_.clear();
    inbuf_.clear();
    unsent_.clear();
    in_flight_.clear();
    awaiting_.clear();
    want_tls_handshake_ = false;
    awaiting_.push_back(Expect::greeting);
    return advance();
}

void Conversation::begin_transaction(const ClientInfo& client, const Envelope& envelope) {
    client_ = client;
    envelope_ = envelope;
    mail_sent_ = false;
    mail_failed_ = false;
    tx_reply_ = core::Reply{};
    answered_ = false;
    first_reply_ = false;
    accepted_ = 0;
    content_tail_.clear();
}

ConversationStep Conversation::start_recipient(const Recipient& recipient) {
    if (!start(Op::recipient)) return ConversationStep{};
    if (mail_failed_) {
        reply_ = tx_reply_;
        return finish();
    }
    if (recipient.address.utf8 && !caps_.smtputf8) {
        reply_ = utf8_refused_reply();
        return finish();
    }
    recipient_ = recipient;
    if (mail_sent_) {
        pipeline_batch_ = false;
        queue(rcpt_command(recipient, caps_), Expect::rcpt);
        return advance();
    }
    if (has_param(envelope_.params, "SMTPUTF8") && !caps_.smtputf8) {
        // RFC 6531 §3.2: do not downgrade; refuse before sending anything.
        mail_failed_ = true;
        tx_reply_ = utf8_refused_reply();
        reply_ = tx_reply_;
        return finish();
    }
    mail_sent_ = true;

    config::ClientIdentity mode = settings_.identity;
    if (mode == config::ClientIdentity::auto_) {
        mode = caps_.xforward  ? config::ClientIdentity::xforward
               : caps_.xclient ? config::ClientIdentity::xclient
                               : config::ClientIdentity::none;
    }
    if (mode == config::ClientIdentity::xclient && caps_.xclient) {
        auto lines = identity_commands("XCLIENT", client_, caps_.xclient_attributes);
        std::string key;
        for (const auto& line : lines) key += line;
        // XCLIENT resets the backend's session (it answers with a new 220), so
        // a pooled connection that already carries this identity skips it.
        if (!lines.empty() && key != identity_) {
            xclient_identity_ = std::move(key);
            xclient_lines_.assign(lines.begin(), lines.end());
            pipeline_batch_ = false;  // each XCLIENT waits for its 220
            queue(std::move(xclient_lines_.front()), Expect::xclient);
            xclient_lines_.pop_front();
            health_ = Health::needs_rset;
            return advance();
        }
    } else if (mode == config::ClientIdentity::xclient && !caps_.xclient) {
        log::debug(line("backend_xclient_not_offered"));
    }
    queue_transaction_start();
    return advance();
}

void Conversation::queue_transaction_start() {
    config::ClientIdentity mode = settings_.identity;
    const bool xforward = caps_.xforward && (mode == config::ClientIdentity::xforward ||
                                             mode == config::ClientIdentity::auto_);
    if (xforward) {
        for (auto& line : identity_commands("XFORWARD", client_, caps_.xforward_attributes))
            queue(std::move(line), Expect::xforward);
    }
    queue(mail_command(envelope_, caps_), Expect::mail);
    queue(rcpt_command(recipient_, caps_), Expect::rcpt);
    pipeline_batch_ = caps_.pipelining;  // RFC 2920 §3.1: one write, then read the replies in order
    health_ = Health::needs_rset;
}

ConversationStep Conversation::start_data() {
    if (!start(Op::data)) return ConversationStep{};
    if (health_ == Health::mid_data) return fail("DATA while in DATA", "");
    if (mail_failed_ || accepted_ == 0) {
        reply_ = no_recipients_reply();
        return finish();
    }
    queue("DATA\r\n", Expect::data);
    return advance();
}

ConversationStep Conversation::start_content(std::string_view content) {
    if (!start(Op::content)) return ConversationStep{};
    if (health_ != Health::mid_data) return fail("content outside DATA", "");
    if (content.empty()) return finish();
    if (content.size() >= 2) {
        content_tail_.assign(content.substr(content.size() - 2));
    } else {
        content_tail_ += content;
        if (content_tail_.size() > 2) content_tail_.erase(0, content_tail_.size() - 2);
    }
    return ConversationStep{ConversationStep::Kind::write, content, BackendTimeout::reply};
}

ConversationStep Conversation::start_dot() {
    if (!start(Op::dot)) return ConversationStep{};
    if (health_ != Health::mid_data) return fail("final dot outside DATA", "");
    // The dot must start a line (RFC 5321 §4.1.1.4); content normally ends with CRLF already.
    const bool at_line_start = content_tail_.empty() || content_tail_ == "\r\n";
    queue(at_line_start ? ".\r\n" : "\r\n.\r\n", Expect::dot);
    // LMTP: one reply per accepted recipient (RFC 2033 §4.2).
    dot_replies_left_ = settings_.protocol == Protocol::lmtp ? accepted_ : 1;
    dot_any_failed_ = false;
    dot_replies_.clear();
    return advance();
}

ConversationStep Conversation::start_rset() {
    if (!start(Op::rset)) return ConversationStep{};
    if (health_ == Health::mid_data) return fail("RSET while in DATA", "");
    queue("RSET\r\n", Expect::rset);
    return advance();
}

ConversationStep Conversation::start_quit() {
    if (!start(Op::quit)) return ConversationStep{};
    outbuf_ = "QUIT\r\n";
    log::debug(line("backend_send").add("command", "QUIT"));
    return ConversationStep{ConversationStep::Kind::write, outbuf_, BackendTimeout::reply};
}

// ---------------------------------------------------------------- resumption

ConversationStep Conversation::resume_written() {
    if (done_) return ConversationStep{};
    for (Expect e : in_flight_) awaiting_.push_back(e);
    in_flight_.clear();
    return advance();
}

ConversationStep Conversation::resume_read(std::string_view bytes) {
    if (done_) return ConversationStep{};
    inbuf_.append(bytes);
    return advance();
}

ConversationStep Conversation::resume_tls(bool peer_verified) {
    if (done_) return ConversationStep{};
    if (settings_.tls_verify && !peer_verified) return fail("backend certificate not verified", "");
    tls_ = true;
    caps_ = Capabilities{};  // RFC 3207 §4.2: forget what was learned before TLS
    queue_ehlo(Expect::ehlo);
    return advance();
}

ConversationStep Conversation::resume_failure(Failure failure, std::string_view detail) {
    if (done_) return ConversationStep{};
    // A pooled connection the backend closed while idle fails on its first
    // command; the driver may then try once on a fresh connection.
    retryable_ = op_ == Op::recipient && !answered_ && (failure == Failure::eof || failure == Failure::io_error);
    const bool retry = retryable_;
    fail(failure_text(failure), detail);
    retryable_ = retry;
    return ConversationStep{};
}

ConversationStep Conversation::advance() {
    for (;;) {
        if (done_) return ConversationStep{};
        if (want_tls_handshake_) {
            want_tls_handshake_ = false;
            return ConversationStep{ConversationStep::Kind::start_tls, {}, BackendTimeout::connect};
        }
        if (!awaiting_.empty()) {
            const Expect expect = awaiting_.front();
            // Transaction replies: split off an enhanced code even when the backend
            // did not advertise ENHANCEDSTATUSCODES (smtp-sink -E still sends them),
            // or the client would see "250 2.1.5 2.1.5 Ok". EHLO lines never have one.
            const bool enhanced = expect != Expect::greeting && expect != Expect::ehlo &&
                                  expect != Expect::xclient && expect != Expect::xclient_ehlo;
            core::ReplyParse parsed = core::parse_reply(inbuf_, enhanced, max_reply_line, max_reply_lines);
            if (parsed.status == core::ReplyStatus::malformed) return fail("malformed reply", inbuf_);
            if (parsed.status == core::ReplyStatus::need_more)
                return ConversationStep{ConversationStep::Kind::read, {}, timeout_for(expect)};
            inbuf_.erase(0, parsed.consumed);
            awaiting_.pop_front();
            if (log::debug_enabled()) log::debug(line("backend_reply").add("reply", parsed.reply.summary(100)));
            first_reply_ = !answered_;
            if (op_ != Op::connect) answered_ = true;
            handle(expect, parsed.reply);
            continue;
        }
        if (!unsent_.empty()) {
            outbuf_.clear();
            const Expect first = unsent_.front().expect;
            do {
                if (log::debug_enabled())
                    log::debug(line("backend_send").add("command", trim_crlf(unsent_.front().line).substr(0, 100)));
                outbuf_ += unsent_.front().line;
                in_flight_.push_back(unsent_.front().expect);
                unsent_.pop_front();
            } while (pipeline_batch_ && !unsent_.empty());
            return ConversationStep{ConversationStep::Kind::write, outbuf_, timeout_for(first)};
        }
        return finish();
    }
}

ConversationStep Conversation::finish() {
    done_ = true;
    switch (op_) {
    case Op::connect:
        connected_ = true;
        health_ = Health::clean;
        reply_ = core::make_reply(220, "", "ready");
        break;
    case Op::recipient:
        if (mail_failed_) reply_ = tx_reply_;
        break;
    case Op::rset: health_ = Health::clean; break;
    case Op::quit: health_ = Health::broken; break;
    default: break;
    }
    return ConversationStep{};
}

ConversationStep Conversation::fail(std::string_view what, std::string_view detail) {
    log::Line failure = line("backend_failed").add("error", what);
    if (!detail.empty()) failure.add("detail", detail.substr(0, 200));  // the backend's bytes: enough to diagnose
    log::warn(failure);
    health_ = Health::broken;
    unsent_.clear();
    in_flight_.clear();
    awaiting_.clear();
    want_tls_handshake_ = false;
    retryable_ = false;
    done_ = true;
    if (op_ == Op::connect) {
        connected_ = false;
        reply_ = unavailable_reply();
    } else {
        reply_ = failure_reply();
    }
    return ConversationStep{};
}

// ---------------------------------------------------------------- replies

void Conversation::queue_ehlo(Expect expect) {
    const char* verb = settings_.protocol == Protocol::lmtp ? "LHLO " : "EHLO ";
    queue(verb + settings_.helo_name + "\r\n", expect);
    pipeline_batch_ = false;
}

BackendTimeout Conversation::timeout_for(Expect expect) const {
    if (expect == Expect::dot) return BackendTimeout::data_done;
    return op_ == Op::connect ? BackendTimeout::connect : BackendTimeout::reply;
}

core::Reply Conversation::pass(const core::Reply& reply, std::string_view default_success) const {
    core::Reply out = reply;
    const int klass = reply.klass();
    // mxgate's replies always carry an enhanced code (RFC 3463 §3.1: its class matches the reply's).
    if (klass == 3) {
        out.enhanced.clear();
    } else if (out.enhanced.empty() || out.enhanced[0] - '0' != klass) {
        out.enhanced = klass == 2 ? std::string(default_success.empty() ? "2.0.0" : default_success)
                                  : std::to_string(klass) + ".0.0";
    }
    // The text goes to our client: no control characters, ASCII only.
    for (auto& line : out.lines)
        for (char& c : line)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return out;
}

log::Line Conversation::line(std::string_view event) const {
    return backend_line(event, settings_.peer, client_.session_id);
}

void Conversation::log_unexpected(std::string_view step, const core::Reply& reply) const {
    log::warn(line("backend_unexpected_reply").add("step", step).add("reply", reply.summary(100)));
}

void Conversation::handle(Expect expect, const core::Reply& reply) {
    const int klass = reply.klass();
    // 421: the backend is closing the connection (RFC 5321 §3.8). The client's
    // session goes on, so it gets our 451 instead of a 421 that would end it.
    const bool refusal = (klass == 4 || klass == 5) && reply.code != 421;
    switch (expect) {
    case Expect::greeting:
        if (reply.code == 220) {
            queue_ehlo(Expect::ehlo);
        } else {
            fail("greeting refused", reply.summary(100));
        }
        return;
    case Expect::ehlo:
        if (reply.code != 250) {
            fail(settings_.protocol == Protocol::lmtp ? "LHLO refused" : "EHLO refused", reply.summary(100));
            return;
        }
        caps_ = parse_capabilities(reply);
        if (!tls_ && settings_.tls != config::BackendTls::none) {
            if (caps_.starttls) {
                queue("STARTTLS\r\n", Expect::starttls);
            } else if (settings_.tls == config::BackendTls::required) {
                fail("STARTTLS required but not offered", "");
            }
        }
        return;
    case Expect::starttls:
        if (reply.code == 220) {
            // Bytes already behind the 220 were sent in plaintext and would be read
            // as if protected (STARTTLS command injection, CVE-2011-0411 family).
            if (!inbuf_.empty()) {
                fail("data after the STARTTLS reply", inbuf_);
            } else {
                want_tls_handshake_ = true;
            }
        } else if (refusal && settings_.tls == config::BackendTls::opportunistic) {
            log::info(line("backend_starttls_refused").add("action", "plaintext").add("reply", reply.summary(100)));
        } else {
            fail("STARTTLS refused", reply.summary(100));
        }
        return;
    case Expect::xclient:
        // Postfix answers a new 220 greeting (XCLIENT_README); some servers
        // (smtp-sink) say 250. Either way the session restarts with EHLO.
        if (klass != 2) {
            retryable_ = false;
            fail("XCLIENT refused", reply.summary(100));
            return;
        }
        if (!xclient_lines_.empty()) {
            queue(std::move(xclient_lines_.front()), Expect::xclient);
            xclient_lines_.pop_front();
        } else {
            queue_ehlo(Expect::xclient_ehlo);  // XCLIENT_README: the session restarts; greet again
        }
        return;
    case Expect::xclient_ehlo:
        if (reply.code != 250) {
            fail("EHLO after XCLIENT refused", reply.summary(100));
            return;
        }
        caps_ = parse_capabilities(reply);
        identity_ = xclient_identity_;
        queue_transaction_start();
        return;
    case Expect::xforward:
        if (klass == 2) return;
        if (refusal) {
            log_unexpected("XFORWARD", reply);
            if (!mail_failed_) {
                mail_failed_ = true;
                tx_reply_ = failure_reply();
            }
            if (!pipeline_batch_) unsent_.clear();
            return;
        }
        break;
    case Expect::mail:
        if (klass == 2) return;
        if (refusal) {
            if (!mail_failed_) {
                mail_failed_ = true;
                tx_reply_ = pass(reply, "");
            }
            unsent_.clear();
            return;
        }
        break;
    case Expect::rcpt:
        if (mail_failed_ && (klass == 2 || refusal)) return;  // the pipelined RCPT after a refused MAIL
        if (klass == 2) {
            ++accepted_;
            reply_ = pass(reply, "2.1.5");
            return;
        }
        if (refusal) {
            reply_ = pass(reply, "");
            return;
        }
        break;
    case Expect::data:
        if (reply.code == 354) {
            health_ = Health::mid_data;
            reply_ = pass(reply, "");
            return;
        }
        if (refusal) {
            reply_ = pass(reply, "");
            return;
        }
        break;
    case Expect::dot:
        if (klass == 2 || refusal) {
            dot_replies_.push_back(pass(reply, klass == 2 ? "2.0.0" : ""));
            if (reply_.code == 0) reply_ = dot_replies_.back();
            if (klass != 2 && !dot_any_failed_) {  // LMTP: one failed recipient makes the answer
                dot_any_failed_ = true;
                reply_ = pass(reply, "");
            }
            if (--dot_replies_left_ > 0) {
                awaiting_.push_front(Expect::dot);
            } else {
                health_ = Health::clean;  // the transaction is over whatever the verdict
            }
            return;
        }
        break;
    case Expect::rset:
        if (reply.code == 250) return;
        break;
    }
    // An unexpected class, or 421. A 421 to the first command on a reused
    // connection is the backend's idle timeout racing us: retryable.
    const bool retry = op_ == Op::recipient && reply.code == 421 && first_reply_;
    log_unexpected(expect_name(static_cast<int>(expect)), reply);
    fail("reply out of protocol", "");
    retryable_ = retry;
}

}  // namespace mxgate::backend
