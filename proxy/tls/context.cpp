#include "proxy/tls/context.hpp"

#include <stdexcept>

#include <openssl/err.h>

namespace mxgate::tls {

namespace ssl = boost::asio::ssl;

namespace {

int protocol_version(const std::string& name) {
    return name == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
}

}  // namespace

std::unique_ptr<ssl::context> make_server_context(const config::Tls& tls) {
    if (tls.certificate.empty()) return nullptr;
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::single_dh_use);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, protocol_version(tls.min_version));
    // Sessions are short; a cache would cost memory per client for little gain.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    // Saves ~34 KiB per idle TLS session (OpenSSL frees read/write buffers when idle).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(native, tls.ciphers.c_str()) != 1)
        throw std::runtime_error("tls.ciphers: no usable cipher in '" + tls.ciphers + "'");
    context->use_certificate_chain_file(tls.certificate);
    context->use_private_key_file(tls.private_key, ssl::context::pem);
    return context;
}

std::shared_ptr<ssl::context> make_backend_context(const config::Backend& backend) {
    if (backend.kind == config::BackendKind::maildir || backend.tls == config::BackendTls::none) return nullptr;
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    if (backend.ca_file.empty()) context->set_default_verify_paths();
    else context->load_verify_file(backend.ca_file);
    return context;
}

}  // namespace mxgate::tls
