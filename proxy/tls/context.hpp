// Builds the OpenSSL contexts: the server context for STARTTLS and implicit TLS
// listeners from config::Tls, and the client context for backends.
// Throws std::runtime_error with the OpenSSL reason on unusable cert/key files
// (config validation has already checked that they exist).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "proxy/config/config.hpp"

namespace mxgate::tls {

// nullptr when no certificate is configured (then no listener may use TLS).
std::unique_ptr<boost::asio::ssl::context> make_server_context(const config::Tls& tls);
// Verification is enabled per connection (Stream::handshake with a server name
// and Backend::tls_verify); the CA file is loaded when given, else the system store.
std::unique_ptr<boost::asio::ssl::context> make_client_context(const config::Config& config);

}  // namespace mxgate::tls
