// The backend side of a mail transaction, as the session sees it: one interface
// for SMTP, LMTP and the built-in Maildir store. Per worker thread, a BackendPool
// opens transactions and keeps SMTP/LMTP connections for reuse.
//
// No data loss by construction: end_data() returns 250 only when the backend said
// 250 (Maildir: after fsync and rename). Any backend failure - refused connection,
// dropped connection, timeout, unexpected or malformed reply - becomes a value:
// a synthesized "451 4.3.0" Reply (backend text only in the logs, Postfix
// smtpd_proxy_fake_server_reply); nothing here throws to the session.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "proxy/backend/backend_slots.hpp"
#include "proxy/config/config.hpp"
#include "proxy/smtp/command.hpp"
#include "proxy/core/reply.hpp"

namespace mxgate::backend {

namespace asio = boost::asio;

// Who the client is: where it connects from (or who a front-end named with XCLIENT).
struct Client {
    // nullopt = unknown: a front-end said XCLIENT ADDR=[UNAVAILABLE] or [TEMPUNAVAIL].
    // Unknown is never trusted and matches no network (as in Postfix).
    std::optional<asio::ip::address> address;
    unsigned short port = 0;
    std::string name;          // host name a front-end gave with XCLIENT NAME; empty = unknown
    std::string session_id;    // our id, for logs

    std::string address_text() const { return address ? address->to_string() : "unknown"; }  // logs, Received
};

// What the backend is told of the client (XCLIENT/XFORWARD), taken when the
// transaction opens: who it is and how it greeted (the session's SessionState owns that).
struct ClientInfo : Client {
    std::string helo;          // as the client (or a front-end's XCLIENT) gave it; empty = unknown
    bool esmtp = true;         // EHLO (true) or HELO
};

struct Envelope {
    core::Address sender;                 // empty = null reverse-path
    std::vector<smtp::EsmtpParam> params; // MAIL params the client gave (SIZE, BODY, SMTPUTF8, RET, ENVID)
};

struct Recipient {
    core::Address address;
    std::vector<smtp::EsmtpParam> params; // NOTIFY, ORCPT
};

class Transaction {
public:
    virtual ~Transaction() = default;  // an unfinished transaction is dropped (connection closed or RSET)

    // RCPT on the backend. The first call connects (or reuses a pooled connection)
    // and sends [XFORWARD/XCLIENT] MAIL before RCPT, pipelined when the backend
    // advertises PIPELINING. When MAIL fails, this returns the MAIL reply.
    // Parameters the backend does not advertise (DSN, SIZE, BODY) are dropped;
    // SMTPUTF8 to a backend without it gives 553 5.6.7 (RFC 6531 §3.2).
    virtual asio::awaitable<core::Reply> add_recipient(const Recipient& recipient) = 0;
    // DATA; 354 when the backend is ready for content.
    virtual asio::awaitable<core::Reply> begin_data() = 0;
    // Message content, dot-stuffed with CRLF line endings, in order, without the
    // final "."; false when the backend failed (end_data will then say 451).
    virtual asio::awaitable<bool> write(std::string_view content) = 0;
    // Final dot and the backend's verdict. LMTP: the reply for the single recipient
    // (the session's Route::recipients_per_transaction).
    virtual asio::awaitable<core::Reply> end_data() = 0;
    // Instead of end_data(), where one reply per recipient matters: LMTP gives one
    // per accepted recipient, in RCPT order (RFC 2033 §4.2), and a recipient the
    // backend never answered (it failed mid-way) gets 451 4.3.0. SMTP and Maildir
    // give end_data()'s single reply, which stands for every recipient.
    virtual asio::awaitable<std::vector<core::Reply>> end_data_per_recipient();

    // "name 127.0.0.1:2526" (or "name maildir") for the transaction log line.
    virtual std::string describe() const = 0;
};

// One per worker thread; not thread-safe (each worker has its own io_context).
// Every worker's pool shares one BackendSlots: max_connections holds per process.
class BackendPool {
public:
    explicit BackendPool(asio::io_context& io, std::shared_ptr<BackendSlots> slots = std::make_shared<BackendSlots>());
    ~BackendPool();
    BackendPool(const BackendPool&) = delete;
    BackendPool& operator=(const BackendPool&) = delete;

    // A transaction against `backend`; no I/O happens until add_recipient.
    // `config` keeps the generation alive while the transaction runs; `tls` is the
    // backend's own client context (Generation::backend_tls_for), null without TLS.
    std::unique_ptr<Transaction> open(std::shared_ptr<const config::Config> config,
                                      const config::Backend& backend, std::shared_ptr<asio::ssl::context> tls,
                                      const ClientInfo& client, const Envelope& envelope);

    // Closes idle connections (config reload, shutdown).
    void clear();
    // This worker's threads for blocking file work (fsync): the Maildir store's, and
    // the quarantine folder's. Created on first use.
    asio::thread_pool& disk();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mxgate::backend
