// LMTP with several recipients per transaction (issue 11 item 11; docs/architecture.md "LMTP with many recipients").
// LMTP answers each recipient after the final dot, SMTP has one reply for the
// message. When the answers agree, that answer is the reply. When they differ,
// the client gets 451 (never a 250 that would hide a refusal) and mxgate
// remembers, in the state store, which recipients already have the message and
// that this sender's mail to each of them had a mixed outcome. The retry then
// takes one recipient per transaction, so each gets its own exact answer, and
// one that already has the message gets 250 without a second delivery.
// Pure code: the decisions and the store keys; the session does the I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/reply.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace mxgate::session {

// How the current transaction to an LMTP route takes recipients.
enum class LmtpMode : unsigned char {
    shared,             // several recipients, one delivery; a mixed outcome is remembered
    alone_remembered,   // one recipient: this sender's mail to it had a mixed outcome; check before delivering
    alone_unknown,      // one recipient: the store could not say (down, or none): every answer stays exact
};

struct LmtpAdmission {
    bool take = false;   // false: 452 4.5.3, the client sends it in another transaction
    LmtpMode mode = LmtpMode::shared;  // the transaction's mode once this recipient is accepted
};

// Whether a recipient joins the transaction, given how many it holds and in
// which mode, and what the store said of (sender, recipient): true = a mixed
// outcome is remembered, nullopt = the store could not answer.
LmtpAdmission admit_lmtp_recipient(std::size_t accepted, LmtpMode mode, std::optional<bool> mixed_before);

struct LmtpOutcome {
    core::Reply reply;   // for the client
    bool mixed = false;  // the recipients' answers differ: remember it
};

// One reply per accepted recipient (or one standing for all) -> the client's reply.
LmtpOutcome combine_replies(const std::vector<core::Reply>& replies);

// 250 for a recipient the store says already has this message: nothing is delivered again.
core::Reply already_delivered_reply();
// 451 when the store cannot tell whether a remembered recipient has the message.
core::Reply memory_unavailable_reply();

// Store keys (the store adds state.key_prefix). Addresses as the client gave
// them: a retry repeats them byte for byte.
std::string mixed_outcome_key(std::string_view sender, std::string_view recipient);
std::string delivered_key(std::string_view recipient, std::string_view digest);

// SHA-256 of the envelope sender and the message as the client sent it (after
// mxgate dropped forged Authentication-Results, before mxgate's own fields, which
// differ on each attempt), as lower-case hex.
class ContentDigest {
public:
    explicit ContentDigest(std::string_view sender);
    ~ContentDigest();
    ContentDigest(const ContentDigest&) = delete;
    ContentDigest& operator=(const ContentDigest&) = delete;

    void update(std::string_view bytes);
    std::string hex();  // once, at the end

private:
    ::evp_md_ctx_st* context_;
};

}  // namespace mxgate::session
