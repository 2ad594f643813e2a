// One backend connection: the stream, its watchdog and the sans-I/O
// Conversation, plus the coroutine driver that performs the Conversation's
// steps on the stream. Internal to proxy/backend/.
//
// Deadlines are a steady_timer watchdog that closes the stream when it expires;
// the pending operation then fails and the Conversation turns that into
// Failure::timeout. The driver never throws: Asio/OpenSSL errors become
// Failure values fed back to the Conversation.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/backend/backend_slots.hpp"
#include "proxy/backend/conversation.hpp"
#include "proxy/config/config.hpp"
#include "proxy/tls/stream.hpp"

namespace mxgate::backend {

namespace asio = boost::asio;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::io_context& io, ConversationSettings settings, std::string key, std::string address,
               std::string tls_name, std::shared_ptr<asio::ssl::context> tls_context);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    tls::Stream& stream() { return stream_; }
    asio::ip::tcp::resolver& resolver() { return resolver_; }
    Conversation& conversation() { return conversation_; }
    const std::string& key() const { return key_; }          // pool key: backend, server and settings
    const std::string& address() const { return address_; }  // "127.0.0.1:2526", for logs
    const std::string& tls_name() const { return tls_name_; } // SNI and name to verify
    // Its place under backends.<name>.max_connections, given back by close().
    BackendSlot& slot() { return slot_; }
    void hold(BackendSlot slot) { slot_ = std::move(slot); }
    // The backend's own client context (its trust store); null when it never starts TLS.
    asio::ssl::context* tls_context() const { return tls_context_.get(); }

    // Closes the stream when `timeout` passes before disarm()/the next arm().
    void arm(std::chrono::milliseconds timeout);
    void disarm();
    bool timed_out() const { return timed_out_; }

    // An idle connection is alive when the backend has neither closed it nor
    // sent anything (a non-blocking peek; nothing is consumed).
    bool alive();
    // QUIT when it costs nothing (plain socket, no transaction open), then close.
    void close();

private:
    tls::Stream stream_;
    asio::ip::tcp::resolver resolver_;
    asio::steady_timer watchdog_;
    Conversation conversation_;
    std::string key_;
    std::string address_;
    std::string tls_name_;
    std::shared_ptr<asio::ssl::context> tls_context_;  // kept alive as long as the stream may use it
    bool timed_out_ = false;
    BackendSlot slot_;  // given back by close(), or after ~Connection has closed the stream
};

// Performs steps until the Conversation is done. `timeouts` gives each step's
// deadline; BackendTimeout::connect steps run under the deadline the caller armed.
asio::awaitable<void> drive(Connection& connection, ConversationStep step, const config::Timeouts& timeouts);

// TCP connect (resolving a name if needed), TCP_NODELAY, then greeting,
// EHLO/LHLO and STARTTLS, all within timeouts.backend_connect.
// nullptr when the server cannot be used (the reason is logged).
asio::awaitable<std::shared_ptr<Connection>> open_connection(asio::io_context& io, const config::Endpoint& server,
                                                             ConversationSettings settings, std::string key,
                                                             std::string tls_name,
                                                             const config::Timeouts& timeouts,
                                                             std::shared_ptr<asio::ssl::context> tls_context);

}  // namespace mxgate::backend
