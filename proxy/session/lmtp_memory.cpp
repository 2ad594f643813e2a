#include "proxy/session/lmtp_memory.hpp"

#include <openssl/evp.h>

namespace mxgate::session {

LmtpAdmission admit_lmtp_recipient(std::size_t accepted, LmtpMode mode, std::optional<bool> mixed_before) {
    if (accepted == 0) {
        if (!mixed_before) return {true, LmtpMode::alone_unknown};
        return {true, *mixed_before ? LmtpMode::alone_remembered : LmtpMode::shared};
    }
    // A recipient that needs its own transaction waits for one: a delivery to it
    // together with others could not give it its own answer.
    if (mode != LmtpMode::shared || !mixed_before || *mixed_before) return {false, mode};
    return {true, LmtpMode::shared};
}

LmtpOutcome combine_replies(const std::vector<core::Reply>& replies) {
    if (replies.empty()) return {core::make_reply(451, "4.3.0", "Temporary backend failure, try again later"), false};
    // Agreement is by class: Dovecot names the recipient in each text, so texts always differ.
    for (const auto& reply : replies)
        if (reply.klass() != replies.front().klass())
            return {core::make_reply(451, "4.3.0",
                                     "Error: the recipients were answered differently, "
                                     "try again and each will get its own answer"),
                    true};
    return {replies.front(), false};
}

core::Reply already_delivered_reply() {
    return core::make_reply(250, "2.0.0", "Ok: delivered to this recipient in an earlier attempt");
}

core::Reply memory_unavailable_reply() {
    return core::make_reply(451, "4.3.0", "Error: cannot check earlier deliveries now, try again later");
}

std::string mixed_outcome_key(std::string_view sender, std::string_view recipient) {
    // The sender's length first: a quoted local part may hold any separator.
    std::string key = "lmtp:mixed:" + std::to_string(sender.size()) + ":";
    key += sender;
    key += '|';
    key += recipient;
    return key;
}

std::string delivered_key(std::string_view recipient, std::string_view digest) {
    std::string key = "lmtp:has:";
    key += recipient;
    key += '|';
    key += digest;  // fixed length, last: the key splits only one way
    return key;
}

ContentDigest::ContentDigest(std::string_view sender) : context_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(context_, EVP_sha256(), nullptr);
    // The sender's length first: no sender/content split makes another's digest.
    const std::string length = std::to_string(sender.size()) + ":";
    update(length);
    update(sender);
}

ContentDigest::~ContentDigest() { EVP_MD_CTX_free(context_); }

void ContentDigest::update(std::string_view bytes) { EVP_DigestUpdate(context_, bytes.data(), bytes.size()); }

std::string ContentDigest::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_, digest, &size);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 0xf];
    }
    return out;
}

}  // namespace mxgate::session
