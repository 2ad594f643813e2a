// A TCP connection that may be upgraded to TLS (STARTTLS) or start with it.
// Used for both sides: clients (server role) and backends (client role).
// Asio errors surface as boost::system::system_error from the awaitables;
// callers catch them at the session / backend boundary.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

namespace mxgate::tls {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Stream {
public:
    // The socket is switched to non-blocking mode: read_some first tries a plain
    // read and must never stall the worker thread when nothing is there.
    explicit Stream(tcp::socket socket);

    // Waits until bytes can be read without holding a buffer (plain only; with TLS it
    // returns at once). Idle sessions then cost no read buffer.
    asio::awaitable<void> wait_readable();
    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer);
    asio::awaitable<void> write(asio::const_buffer buffer);
    asio::awaitable<void> write(std::initializer_list<asio::const_buffer> buffers);

    // TLS handshake in the given role; the context must outlive the stream.
    asio::awaitable<void> handshake(asio::ssl::context& context, asio::ssl::stream_base::handshake_type role,
                                    const std::string& server_name = {});
    bool is_tls() const { return tls_ != nullptr; }
    std::string tls_version() const;  // "TLSv1.3", empty without TLS
    std::string tls_cipher() const;   // "TLS_AES_256_GCM_SHA384"
    // Peer certificate verified (client role with verification on).
    bool peer_verified() const;

    tcp::socket& socket() { return socket_; }
    // Closes at once; pending operations complete with operation_aborted. Safe to call twice.
    void close();
    // TLS close_notify (best effort) and TCP shutdown, then close.
    asio::awaitable<void> shutdown();

private:
    tcp::socket socket_;
    std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
};

}  // namespace mxgate::tls
