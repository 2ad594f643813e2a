// A Transaction against an SMTP or LMTP backend: picks a pooled connection or
// connects to the servers in order (failover), runs the Conversation's
// operations through the coroutine driver, and hands the connection back to
// the pool when done (clean: as is; aborted: after RSET; mid-DATA or broken:
// closed). Every failure is a Reply value (451 4.3.0; 451 4.3.2 when no
// connection slot freed up within timeouts.backend_connect); nothing throws.
#pragma once

#include <memory>
#include <string>

#include "proxy/backend/backend.hpp"
#include "proxy/backend/conversation.hpp"

namespace mxgate::backend {

class Connection;
class PoolCore;

class SmtpTransaction final : public Transaction {
public:
    SmtpTransaction(std::shared_ptr<PoolCore> core, std::shared_ptr<const config::Config> config,
                    config::Backend backend, std::shared_ptr<asio::ssl::context> tls, ClientInfo client,
                    Envelope envelope, std::string helo_name);
    ~SmtpTransaction() override;

    asio::awaitable<core::Reply> add_recipient(const Recipient& recipient) override;
    asio::awaitable<core::Reply> begin_data() override;
    asio::awaitable<bool> write(std::string_view content) override;
    asio::awaitable<core::Reply> end_data() override;
    asio::awaitable<std::vector<core::Reply>> end_data_per_recipient() override;
    std::string describe() const override;

private:
    asio::awaitable<void> acquire(bool allow_reuse);
    asio::awaitable<void> run(ConversationStep step);
    void release();
    core::Reply refusal() const;  // for every step once no connection could be had
    std::string key_for(const config::Endpoint& server) const;
    std::string tls_name_for(const config::Endpoint& server) const;
    ConversationSettings settings_for(const config::Endpoint& server) const;

    std::shared_ptr<PoolCore> core_;
    std::shared_ptr<const config::Config> config_;
    config::Backend backend_;
    std::shared_ptr<asio::ssl::context> tls_;  // this backend's trust store; null without TLS
    ClientInfo client_;
    Envelope envelope_;
    std::string helo_name_;
    std::shared_ptr<Connection> connection_;
    std::string address_;          // the server in use (kept for describe() after release)
    bool reused_ = false;
    bool unavailable_ = false;     // no server could be reached: every step says so
    bool busy_ = false;            // ... because every slot of max_connections stayed taken
    bool tried_recipient_ = false;
};

// The RSET that makes an aborted connection reusable, run detached from the
// transaction's destructor; closes the connection if RSET fails.
asio::awaitable<void> reset_and_pool(std::shared_ptr<PoolCore> core, std::shared_ptr<Connection> connection,
                                     std::string backend, unsigned max_idle, config::Timeouts timeouts);

}  // namespace mxgate::backend
