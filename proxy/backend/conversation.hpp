// The SMTP/LMTP client for one backend connection as a sans-I/O algorithm
// (Boost.MySQL style): it decides what to write and judges every reply; a
// driver (drive() in connection.cpp) moves the bytes, runs TLS and the deadlines.
// Never does I/O, never reads a clock, never throws.
//
// Use: call a start_*() operation, perform the returned ConversationStep (write these bytes /
// read some bytes / TLS handshake), report the outcome with resume_*(), repeat
// until ConversationStep::Kind::done, then read reply() and health().
// Backend misbehaviour - EOF, timeout, malformed or unexpected reply, 421 - ends
// the operation with the synthesized "451 4.3.0" (backend text only in the log)
// and Health::broken, which tells the driver to close the connection.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/backend/backend.hpp"
#include "proxy/backend/esmtp.hpp"
#include "proxy/config/config.hpp"
#include "proxy/log.hpp"
#include "proxy/core/reply.hpp"

namespace mxgate::backend {

enum class Protocol { smtp, lmtp };

// Which configured timeout covers a step (config::Timeouts::backend_*).
enum class BackendTimeout { connect, reply, data_done };

// What went wrong with a step, as the driver saw it.
enum class Failure { eof, timeout, io_error, tls_error };

// Can the connection carry another transaction?
enum class Health {
    clean,       // no transaction open: reuse as is
    needs_rset,  // a transaction was started and not finished: RSET first
    mid_data,    // between 354 and the final dot: close (never send the dot of an aborted message)
    broken,      // out of sync or dead: close
};

struct ConversationStep {
    enum class Kind { write, read, start_tls, done };
    Kind kind = Kind::done;
    std::string_view data;               // write: the bytes; valid until the next call
    BackendTimeout timeout = BackendTimeout::reply;  // which configured timeout covers it
};

struct ConversationSettings {
    Protocol protocol = Protocol::smtp;
    std::string helo_name;                                   // our EHLO/LHLO argument
    config::BackendTls tls = config::BackendTls::none;
    config::ClientIdentity identity = config::ClientIdentity::auto_;
    bool tls_verify = false;                                 // refuse an unverified certificate
    std::string peer;                                        // "name 127.0.0.1:25", for logs
};

// mxgate's own texts for replies it makes up.
core::Reply unavailable_reply();   // 451 4.3.0: no backend server could be reached
core::Reply failure_reply();       // 451 4.3.0: the backend misbehaved mid-transaction
core::Reply busy_reply();          // 451 4.3.2: every connection max_connections allows stayed in use
core::Reply no_recipients_reply(); // 554 5.5.1
core::Reply utf8_refused_reply();  // 553 5.6.7 (RFC 6531 §3.2)

class Conversation {
public:
    explicit Conversation(ConversationSettings settings);

    // Greeting, EHLO/LHLO, [STARTTLS, TLS handshake, EHLO again]. connected() tells the result.
    ConversationStep start_connect();
    // A new mail transaction on this connection; no I/O.
    void begin_transaction(const ClientInfo& client, const Envelope& envelope);
    // First call: [XCLIENT.. EHLO] [XFORWARD..] MAIL RCPT (pipelined if offered); later calls: RCPT.
    ConversationStep start_recipient(const Recipient& recipient);
    // DATA, or 554 5.5.1 without I/O when no recipient was accepted.
    ConversationStep start_data();
    // One piece of message content (dot-stuffed CRLF) after 354; written as given, not copied.
    ConversationStep start_content(std::string_view content);
    // The final dot; SMTP: one reply, LMTP: one per accepted recipient.
    ConversationStep start_dot();
    ConversationStep start_rset();
    // QUIT without waiting for the reply; the driver closes afterwards.
    ConversationStep start_quit();

    ConversationStep resume_written();
    ConversationStep resume_read(std::string_view bytes);
    ConversationStep resume_tls(bool peer_verified);
    ConversationStep resume_failure(Failure failure, std::string_view detail);

    // Results of the last operation.
    const core::Reply& reply() const { return reply_; }
    bool connected() const { return connected_; }
    Health health() const { return health_; }
    // The last operation failed on a connection problem before the backend had
    // answered anything in this transaction: a reused connection may be replaced
    // and the recipient tried again.
    bool retryable() const { return retryable_; }
    const Capabilities& capabilities() const { return caps_; }
    std::size_t accepted() const { return accepted_; }
    // After start_dot: the replies read so far, one per recipient in RCPT order
    // (LMTP; SMTP has one). Fewer than accepted() when the backend failed mid-way.
    const std::vector<core::Reply>& dot_replies() const { return dot_replies_; }
    bool tls_active() const { return tls_; }
    const ConversationSettings& settings() const { return settings_; }

    void set_peer(std::string peer) { settings_.peer = std::move(peer); }

private:
    enum class Op { none, connect, recipient, data, content, dot, rset, quit };
    enum class Expect { greeting, ehlo, starttls, xclient, xclient_ehlo, xforward, mail, rcpt, data, dot, rset };
    struct Command {
        std::string line;
        Expect expect;
    };

    bool start(Op op);
    ConversationStep advance();
    ConversationStep finish();
    ConversationStep fail(std::string_view what, std::string_view detail);
    void handle(Expect expect, const core::Reply& reply);
    void queue(std::string line, Expect expect) { unsent_.push_back(Command{std::move(line), expect}); }
    void queue_ehlo(Expect expect);
    void queue_transaction_start();
    BackendTimeout timeout_for(Expect expect) const;
    core::Reply pass(const core::Reply& reply, std::string_view default_success) const;
    void log_unexpected(std::string_view step, const core::Reply& reply) const;
    // A line about this backend and, during a transaction, the session it serves.
    log::Line line(std::string_view event) const;

    ConversationSettings settings_;

    // Connection state.
    Capabilities caps_;
    bool tls_ = false;
    Health health_ = Health::broken;  // until connected
    std::string identity_;            // XCLIENT identity the backend holds now
    std::string inbuf_;               // received, not yet parsed
    std::string outbuf_;              // the write in flight
    std::deque<Expect> in_flight_;    // replies the write in flight will cause
    std::deque<Command> unsent_;
    std::deque<Expect> awaiting_;
    bool pipeline_batch_ = false;     // write everything in unsent_ at once

    // Operation state.
    Op op_ = Op::none;
    bool done_ = true;
    bool connected_ = false;
    bool retryable_ = false;
    bool want_tls_handshake_ = false;
    core::Reply reply_;
    std::size_t dot_replies_left_ = 0;
    bool dot_any_failed_ = false;
    std::vector<core::Reply> dot_replies_;

    // Transaction state.
    ClientInfo client_;
    Envelope envelope_;
    bool mail_sent_ = false;
    bool mail_failed_ = false;        // MAIL (or XFORWARD/XCLIENT) refused: every RCPT gets tx_reply_
    core::Reply tx_reply_;
    Recipient recipient_;
    bool answered_ = false;           // the backend replied to something in this transaction
    bool first_reply_ = false;        // the reply being handled is the transaction's first
    std::size_t accepted_ = 0;
    std::string content_tail_;        // last two octets of the content so far
    std::string xclient_identity_;    // the identity being established
    std::deque<std::string> xclient_lines_;
};

}  // namespace mxgate::backend
