// Config checks that need the file system or OpenSSL: readable files, a PEM
// certificate chain with its matching key, a CA bundle, a cipher list. Run at
// load time so `--check-config` and SIGHUP catch them with a file:line, instead
// of the TLS code failing later without one. Each returns "" or the reason.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "proxy/config/decode_support.hpp"

namespace mxgate::config::detail {

namespace {

struct CtxFree {
    void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<SSL_CTX, CtxFree>;

// The most specific OpenSSL reason of the last failure, and a clean error queue.
std::string openssl_reason(std::string_view fallback) {
    unsigned long code = 0;
    unsigned long last = 0;
    while ((code = ERR_get_error()) != 0) last = code;
    if (last == 0) return std::string(fallback);
    const char* reason = ERR_reason_error_string(last);
    return reason ? std::string(fallback) + " (" + reason + ")" : std::string(fallback);
}

Ctx new_context() {
    ERR_clear_error();
    return Ctx(SSL_CTX_new(TLS_method()));
}

}  // namespace

std::string check_readable(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::strerror(errno);
    char byte = 0;
    in.read(&byte, 1);
    if (in.bad()) return std::strerror(errno);  // e.g. a directory: "Is a directory"
    return {};
}

TlsProblem check_certificate_and_key(const std::string& certificate, const std::string& private_key) {
    Ctx ctx = new_context();
    if (!ctx) return {"tls.certificate", openssl_reason("OpenSSL cannot create a context")};
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), certificate.c_str()) != 1)
        return {"tls.certificate", openssl_reason("not a PEM certificate chain")};
    // use_PrivateKey also fails when the key does not match the certificate.
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), private_key.c_str(), SSL_FILETYPE_PEM) != 1)
        return {"tls.private_key", openssl_reason("not a PEM private key for tls.certificate")};
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
        return {"tls.private_key", openssl_reason("does not match tls.certificate")};
    return {};
}

std::string check_ca_file(const std::string& path) {
    Ctx ctx = new_context();
    if (!ctx) return openssl_reason("OpenSSL cannot create a context");
    if (SSL_CTX_load_verify_locations(ctx.get(), path.c_str(), nullptr) != 1)
        return openssl_reason("no PEM CA certificates in it");
    return {};
}

std::string check_ciphers(const std::string& ciphers) {
    Ctx ctx = new_context();
    if (!ctx) return openssl_reason("OpenSSL cannot create a context");
    if (SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) != 1)
        return "OpenSSL accepts none of the ciphers in \"" + escaped(ciphers) + "\"";
    ERR_clear_error();
    return {};
}

}  // namespace mxgate::config::detail
