#include "proxy/tls/stream.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mxgate::tls {

Stream::Stream(tcp::socket socket) : socket_(std::move(socket)) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
}

asio::awaitable<void> Stream::wait_readable() {
    // With TLS, OpenSSL may already hold decrypted bytes; the read itself waits.
    if (!tls_) co_await socket_.async_wait(tcp::socket::wait_read, asio::use_awaitable);
}

asio::awaitable<std::size_t> Stream::read_some(asio::mutable_buffer buffer) {
    if (tls_) co_return co_await tls_->async_read_some(buffer, asio::use_awaitable);
    // After wait_readable the bytes are usually there: try without suspending.
    boost::system::error_code ec;
    std::size_t n = socket_.read_some(buffer, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again)
        co_return co_await socket_.async_read_some(buffer, asio::use_awaitable);
    if (ec) throw boost::system::system_error(ec);
    co_return n;
}

asio::awaitable<void> Stream::write(asio::const_buffer buffer) {
    if (tls_)
        co_await asio::async_write(*tls_, buffer, asio::use_awaitable);
    else
        co_await asio::async_write(socket_, buffer, asio::use_awaitable);
}

asio::awaitable<void> Stream::write(std::initializer_list<asio::const_buffer> buffers) {
    std::vector<asio::const_buffer> list(buffers);
    if (tls_)
        co_await asio::async_write(*tls_, list, asio::use_awaitable);
    else
        co_await asio::async_write(socket_, list, asio::use_awaitable);
}

asio::awaitable<void> Stream::handshake(asio::ssl::context& context, asio::ssl::stream_base::handshake_type role,
                                        const std::string& server_name) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
    if (role == asio::ssl::stream_base::client && !server_name.empty()) {
        SSL* ssl = tls_->native_handle();
        SSL_set_tlsext_host_name(ssl, server_name.c_str());
        // Name check happens inside OpenSSL's verification when verify_peer is on.
        SSL_set1_host(ssl, server_name.c_str());
    }
    co_await tls_->async_handshake(role, asio::use_awaitable);
}

std::string Stream::tls_version() const {
    return tls_ ? SSL_get_version(tls_->native_handle()) : std::string();
}

std::string Stream::tls_cipher() const {
    return tls_ ? SSL_get_cipher_name(tls_->native_handle()) : std::string();
}

bool Stream::peer_verified() const {
    if (!tls_) return false;
    SSL* ssl = tls_->native_handle();
    X509* peer = SSL_get1_peer_certificate(ssl);
    bool ok = peer != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
    X509_free(peer);
    return ok;
}

void Stream::close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

asio::awaitable<void> Stream::shutdown() {
    if (tls_ && socket_.is_open()) {
        // close_notify only: do not wait for the peer's, it may never come.
        SSL_shutdown(tls_->native_handle());
        boost::system::error_code ignored;
        asio::const_buffer nothing;
        co_await asio::async_write(*tls_, nothing, asio::redirect_error(asio::use_awaitable, ignored));
    }
    close();
}

}  // namespace mxgate::tls
