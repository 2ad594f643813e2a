// The coroutine driver for a backend Conversation, and opening connections.
#include "proxy/backend/connection.hpp"

#include <sys/socket.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/backend/backend_log.hpp"

namespace mxgate::backend {

namespace {

using tcp = asio::ip::tcp;

Failure classify(const Connection& connection, const boost::system::error_code& ec) {
    if (connection.timed_out()) return Failure::timeout;
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return Failure::eof;
    return Failure::io_error;
}

}  // namespace

Connection::Connection(asio::io_context& io, ConversationSettings settings, std::string key, std::string address,
                       std::string tls_name, std::shared_ptr<asio::ssl::context> tls_context)
    : stream_(tcp::socket(io)),
      resolver_(io),
      watchdog_(io),
      conversation_(std::move(settings)),
      key_(std::move(key)),
      address_(std::move(address)),
      tls_name_(std::move(tls_name)),
      tls_context_(std::move(tls_context)) {}

Connection::~Connection() { stream_.close(); }

void Connection::arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    watchdog_.expires_after(timeout);  // cancels the previous wait
    watchdog_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or disarmed
        auto self = weak.lock();
        if (!self || self->watchdog_.expiry() > std::chrono::steady_clock::now()) return;
        self->timed_out_ = true;
        self->resolver_.cancel();
        self->stream_.close();  // the pending read/write/connect completes with an error
    });
}

void Connection::disarm() { watchdog_.cancel(); }

bool Connection::alive() {
    auto& socket = stream_.socket();
    if (!socket.is_open() || conversation_.health() != Health::clean) return false;
    char byte = 0;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    // 0: EOF; > 0: the backend spoke out of turn (e.g. a 421 on its idle timeout).
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void Connection::close() {
    auto& socket = stream_.socket();
    if (socket.is_open() && !stream_.is_tls() && conversation_.health() == Health::clean) {
        static constexpr char quit[] = "QUIT\r\n";
        [[maybe_unused]] ssize_t n = ::send(socket.native_handle(), quit, sizeof quit - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    disarm();
    stream_.close();
    slot_.release();
}

asio::awaitable<void> drive(Connection& connection, ConversationStep step, const config::Timeouts& timeouts) {
    Conversation& conversation = connection.conversation();
    std::array<char, 4096> buffer;
    while (step.kind != ConversationStep::Kind::done) {
        if (step.timeout == BackendTimeout::reply) connection.arm(timeouts.backend_reply);
        if (step.timeout == BackendTimeout::data_done) connection.arm(timeouts.backend_data_done);
        boost::system::error_code ec;
        std::string what;
        std::size_t n = 0;
        bool verified = false;
        try {
            switch (step.kind) {
            case ConversationStep::Kind::write:
                co_await connection.stream().write(asio::buffer(step.data.data(), step.data.size()));
                break;
            case ConversationStep::Kind::read:
                n = co_await connection.stream().read_some(asio::buffer(buffer));
                if (n == 0) ec = asio::error::eof;
                break;
            case ConversationStep::Kind::start_tls:
                // The Conversation asks for STARTTLS only when the backend's tls is not none.
                assert(connection.tls_context() != nullptr);
                co_await connection.stream().handshake(*connection.tls_context(), asio::ssl::stream_base::client,
                                                       connection.tls_name());
                verified = connection.stream().peer_verified();
                break;
            case ConversationStep::Kind::done: break;
            }
        } catch (const boost::system::system_error& e) {
            ec = e.code();
            what = ec.message();
        } catch (const std::exception& e) {
            ec = asio::error::fault;
            what = e.what();
        }
        if (ec) {
            const Failure failure = step.kind == ConversationStep::Kind::start_tls && !connection.timed_out()
                                        ? Failure::tls_error
                                        : classify(connection, ec);
            step = conversation.resume_failure(failure, what.empty() ? ec.message() : what);
            continue;
        }
        switch (step.kind) {
        case ConversationStep::Kind::write: step = conversation.resume_written(); break;
        case ConversationStep::Kind::read: step = conversation.resume_read(std::string_view(buffer.data(), n)); break;
        case ConversationStep::Kind::start_tls:
            log::debug(backend_line("backend_tls", conversation.settings().peer)
                           .add("version", connection.stream().tls_version())
                           .add("cipher", connection.stream().tls_cipher())
                           .add("verified", verified ? "yes" : "no"));
            step = conversation.resume_tls(verified);
            break;
        case ConversationStep::Kind::done: break;
        }
    }
    if (step.timeout != BackendTimeout::connect) connection.disarm();
}

asio::awaitable<std::shared_ptr<Connection>> open_connection(asio::io_context& io, const config::Endpoint& server,
                                                             ConversationSettings settings, std::string key,
                                                             std::string tls_name,
                                                             const config::Timeouts& timeouts,
                                                             std::shared_ptr<asio::ssl::context> tls_context) {
    const std::string address = server.str();
    const std::string peer = settings.peer;
    auto connection =
        std::make_shared<Connection>(io, std::move(settings), std::move(key), address, std::move(tls_name),
                                     std::move(tls_context));
    // One deadline for connect, greeting, EHLO and STARTTLS (config::Timeouts::backend_connect).
    connection->arm(timeouts.backend_connect);

    boost::system::error_code ec;
    std::vector<tcp::endpoint> endpoints;
    if (auto literal = asio::ip::make_address(server.host, ec); !ec) {
        endpoints.emplace_back(literal, server.port);
    } else {
        ec = {};
        const std::string service = std::to_string(server.port);
        auto results = co_await connection->resolver().async_resolve(server.host, service,
                                                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            connection->disarm();
            log::warn(backend_line("backend_resolve_failed", peer).add("host", server.host)
                          .add("error", connection->timed_out() ? "timeout" : ec.message()));
            co_return nullptr;
        }
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    auto& socket = connection->stream().socket();
    ec = asio::error::host_not_found;
    for (const auto& endpoint : endpoints) {
        if (connection->timed_out()) break;
        boost::system::error_code ignored;
        socket.close(ignored);
        ec = {};
        co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) break;
    }
    if (ec || connection->timed_out()) {
        connection->disarm();
        log::warn(backend_line("backend_connect_failed", peer)
                      .add("error", connection->timed_out() ? "timeout" : ec.message()));
        co_return nullptr;
    }
    boost::system::error_code option_ec;
    socket.set_option(tcp::no_delay(true), option_ec);  // commands are small and latency-bound
    // tls::Stream::read_some tries a synchronous read first: it must not block.
    socket.non_blocking(true, option_ec);

    co_await drive(*connection, connection->conversation().start_connect(), timeouts);
    connection->disarm();
    if (!connection->conversation().connected()) {
        connection->close();
        co_return nullptr;
    }
    log::debug(backend_line("backend_connected", peer).add("tls", connection->stream().is_tls() ? "yes" : "no"));
    co_return connection;
}

}  // namespace mxgate::backend
