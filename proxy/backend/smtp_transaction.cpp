// The coroutine side of an SMTP/LMTP transaction: connection choice, retry and release.
#include "proxy/backend/smtp_transaction.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "proxy/backend/backend_log.hpp"
#include "proxy/backend/connection.hpp"
#include "proxy/backend/pool_core.hpp"

namespace mxgate::backend {

SmtpTransaction::SmtpTransaction(std::shared_ptr<PoolCore> core, std::shared_ptr<const config::Config> config,
                                 config::Backend backend, std::shared_ptr<asio::ssl::context> tls,
                                 ClientInfo client, Envelope envelope, std::string helo_name)
    : core_(std::move(core)),
      config_(std::move(config)),
      backend_(std::move(backend)),
      tls_(std::move(tls)),
      client_(std::move(client)),
      envelope_(std::move(envelope)),
      helo_name_(std::move(helo_name)) {}

SmtpTransaction::~SmtpTransaction() { release(); }

std::string SmtpTransaction::tls_name_for(const config::Endpoint& server) const {
    return backend_.tls_server_name.empty() ? server.host : backend_.tls_server_name;
}

std::string SmtpTransaction::key_for(const config::Endpoint& server) const {
    // Everything that shapes the connection's setup: a reload that changes any
    // of it must not reuse a connection made under the old settings.
    std::string key = backend_.name;
    key += '|';
    key += server.str();
    key += '|';
    key += std::to_string(static_cast<int>(backend_.kind));
    key += std::to_string(static_cast<int>(backend_.tls));
    key += backend_.tls_verify ? 'v' : '-';
    key += backend_.ca_file;
    key += std::to_string(static_cast<int>(backend_.client_identity));
    key += '|';
    key += tls_name_for(server);
    key += '|';
    key += helo_name_;
    return key;
}

ConversationSettings SmtpTransaction::settings_for(const config::Endpoint& server) const {
    ConversationSettings settings;
    settings.protocol = backend_.kind == config::BackendKind::lmtp ? Protocol::lmtp : Protocol::smtp;
    settings.helo_name = helo_name_;
    settings.tls = backend_.tls;
    settings.tls_verify = backend_.tls_verify;
    settings.identity = backend_.client_identity;
    settings.peer = backend_.name + " " + server.str();
    return settings;
}

asio::awaitable<void> SmtpTransaction::acquire(bool allow_reuse) {
    reused_ = false;
    if (allow_reuse) {
        std::vector<std::string> keys;
        for (const auto& server : backend_.servers) keys.push_back(key_for(server));
        connection_ = core_->take(backend_.name, keys);
        reused_ = connection_ != nullptr;
    }
    if (!connection_) {
        // One slot for the connection, whichever server it goes to (backend_slots.hpp).
        BackendSlot slot =
            co_await core_->slots().acquire(backend_.name, backend_.max_connections, config_->timeouts.backend_connect);
        if (!slot) {
            busy_ = true;
            co_return;
        }
        // Failover: the servers in the configured order.
        for (const auto& server : backend_.servers) {
            // Named, not temporaries inside the co_await: GCC 12 mishandles non-trivial
            // temporaries in co_await expressions (double destruction).
            ConversationSettings settings = settings_for(server);
            std::string key = key_for(server);
            std::string tls_name = tls_name_for(server);
            connection_ = co_await open_connection(core_->io(), server, std::move(settings), std::move(key),
                                                   std::move(tls_name), config_->timeouts, tls_);
            if (connection_) break;
        }
        if (connection_)
            connection_->hold(std::move(slot));
        else
            log::warn(backend_line("backend_unavailable", backend_.name, client_.session_id)
                          .add("reason", "no server available"));
    }
    if (connection_) {
        address_ = connection_->address();
        connection_->conversation().set_peer(describe());
        connection_->conversation().begin_transaction(client_, envelope_);
    }
}

asio::awaitable<void> SmtpTransaction::run(ConversationStep step) {
    co_await drive(*connection_, step, config_->timeouts);
}

asio::awaitable<core::Reply> SmtpTransaction::add_recipient(const Recipient& recipient) {
    if (unavailable_) co_return refusal();
    if (!connection_) {
        co_await acquire(true);
        if (!connection_) {
            unavailable_ = true;
            co_return refusal();
        }
    }
    const bool first = !tried_recipient_;
    tried_recipient_ = true;
    co_await run(connection_->conversation().start_recipient(recipient));
    if (first && reused_ && connection_->conversation().retryable()) {
        // The backend closed the pooled connection while it was idle: once more, fresh.
        log::info(backend_line("backend_reconnect", describe(), client_.session_id)
                      .add("reason", "pooled connection failed on first use"));
        connection_->close();
        connection_.reset();
        co_await acquire(false);
        if (!connection_) {
            unavailable_ = true;
            co_return refusal();
        }
        co_await run(connection_->conversation().start_recipient(recipient));
    }
    co_return connection_->conversation().reply();
}

asio::awaitable<core::Reply> SmtpTransaction::begin_data() {
    if (unavailable_) co_return refusal();
    if (!connection_) co_return no_recipients_reply();
    co_await run(connection_->conversation().start_data());
    co_return connection_->conversation().reply();
}

asio::awaitable<bool> SmtpTransaction::write(std::string_view content) {
    if (!connection_ || connection_->conversation().health() != Health::mid_data) co_return false;
    co_await run(connection_->conversation().start_content(content));
    co_return connection_->conversation().health() == Health::mid_data;
}

asio::awaitable<core::Reply> SmtpTransaction::end_data() {
    if (unavailable_) co_return refusal();
    if (!connection_) co_return failure_reply();
    co_await run(connection_->conversation().start_dot());
    core::Reply reply = connection_->conversation().reply();
    release();  // the transaction is over: clean connections go back to the pool now
    co_return reply;
}

asio::awaitable<std::vector<core::Reply>> SmtpTransaction::end_data_per_recipient() {
    if (backend_.kind != config::BackendKind::lmtp || unavailable_ || !connection_) {
        core::Reply reply = co_await end_data();
        co_return std::vector<core::Reply>{std::move(reply)};
    }
    co_await run(connection_->conversation().start_dot());
    const Conversation& conversation = connection_->conversation();
    std::vector<core::Reply> replies = conversation.dot_replies();
    // Unanswered recipients may or may not have the message: never a 250 for them.
    replies.resize(std::max<std::size_t>(conversation.accepted(), 1), failure_reply());
    release();
    co_return replies;
}

core::Reply SmtpTransaction::refusal() const { return busy_ ? busy_reply() : unavailable_reply(); }

std::string SmtpTransaction::describe() const {
    if (!address_.empty()) return backend_.name + " " + address_;
    if (!backend_.servers.empty()) return backend_.name + " " + backend_.servers.front().str();
    return backend_.name;
}

void SmtpTransaction::release() {
    if (!connection_) return;
    std::shared_ptr<Connection> connection = std::move(connection_);
    connection_.reset();
    switch (connection->conversation().health()) {
    case Health::clean:
        core_->put(std::move(connection), backend_.name, backend_.max_idle_connections,
                   config_->timeouts.backend_idle);
        break;
    case Health::needs_rset:
        if (backend_.max_idle_connections == 0) {
            connection->close();
            break;
        }
        // Not from the destructor's stack: RSET runs as its own coroutine.
        asio::co_spawn(core_->io(),
                       reset_and_pool(core_, std::move(connection), backend_.name, backend_.max_idle_connections,
                                      config_->timeouts),
                       asio::detached);
        break;
    case Health::mid_data:  // closing makes the backend discard the partial message
    case Health::broken: connection->close(); break;
    }
}

asio::awaitable<void> reset_and_pool(std::shared_ptr<PoolCore> core, std::shared_ptr<Connection> connection,
                                     std::string backend, unsigned max_idle, config::Timeouts timeouts) {
    co_await drive(*connection, connection->conversation().start_rset(), timeouts);
    if (connection->conversation().health() == Health::clean) {
        core->put(std::move(connection), backend, max_idle, timeouts.backend_idle);
    } else {
        connection->close();
    }
}

}  // namespace mxgate::backend
