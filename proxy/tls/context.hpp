// Builds the OpenSSL contexts: the server context for STARTTLS and implicit TLS
// listeners from config::Tls, and one client context per backend, each with its
// own trust store (its ca_file, else the system store).
// Throws std::runtime_error with the OpenSSL reason on unusable cert/key files
// (config validation has already checked that they exist).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "proxy/config/config.hpp"

namespace mxgate::tls {

// nullptr when no certificate is configured (then no listener may use TLS).
std::unique_ptr<boost::asio::ssl::context> make_server_context(const config::Tls& tls);
// nullptr for a backend that never starts TLS. Its own trust store, so one backend's
// private CA never vouches for another backend. Verification is checked per
// connection (Stream::handshake with a server name and Backend::tls_verify).
std::shared_ptr<boost::asio::ssl::context> make_backend_context(const config::Backend& backend);

}  // namespace mxgate::tls
