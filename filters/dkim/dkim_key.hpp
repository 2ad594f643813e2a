// The DKIM key record (RFC 6376 §3.6.1; k=ed25519 from RFC 8463 §4) decoded into
// an OpenSSL key, a bounded thread-safe cache of decoded records, and the check
// of a signature over the header hash libopendkim computed (RFC 6376 §3.7).
// Pure: no DNS, no logging, no Asio; the record is the text DNS gave.
// Errors are values: a record that is no usable key is a KeyProblem, a signature
// that does not verify is false. Nothing here throws (bad_alloc aside).
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <openssl/evp.h>

#include "filters/dkim/dkim_result.hpp"

namespace mxgate::filters::dkim {

// Why a record is no usable key, or why a key does not fit a signature.
struct KeyProblem {
    Verification verification;  // key_revoked (empty p=) or key_invalid
    std::string detail;         // short, for logs and reason: "key syntax", "unknown k=ecdsa", ...
};

enum class KeyType : unsigned char { rsa, ed25519 };

// One decoded record. The EVP_PKEY is shared read-only between threads: OpenSSL
// allows one key under several verifications, each with its own EVP_PKEY_CTX.
struct PublicKey {
    KeyType type = KeyType::rsa;
    std::shared_ptr<EVP_PKEY> key;
    unsigned bits = 0;                  // RSA modulus bits; 256 for ed25519 (RFC 8463; OpenSSL would say 253)
    bool testing = false;               // t=y
    bool same_domain_only = false;      // t=s: i= must not be a subdomain of d=
    std::vector<std::string> hashes;    // h=, lowercase; empty = any
    std::vector<std::string> services;  // s=, lowercase; empty = "*"
};

using KeyRecord = std::variant<PublicKey, KeyProblem>;

// The TXT text (its strings already joined) -> a key or a problem. Tag-list
// syntax of RFC 6376 §3.2: FWS around tags, '=' and ';', one final ';' allowed,
// duplicate tags are an error, unknown tags are ignored. v= if present must be
// first and exactly "DKIM1"; k= "rsa" (the default) or "ed25519"; p= base64 with
// FWS removed, empty = revoked; rsa: DER SubjectPublicKeyInfo of an RSA key and
// nothing after it; ed25519: exactly 32 raw bytes.
KeyRecord parse_key_record(std::string_view record);

// Does this key fit this signature (RFC 6376 §6.1.2 steps 6-8)? a= "rsa-sha256",
// "rsa-sha1" or "ed25519-sha256" (another is invalid_signature); k= must match
// a='s key type, h= (if given) must list a='s hash, s= must hold "*" or "email",
// t=s: the domain of i= (after its last '@'; "" means d=) must equal d=,
// case-insensitive. nullopt when it fits, else a key_invalid problem.
std::optional<KeyProblem> key_fits(const PublicKey& key, std::string_view algorithm, std::string_view signing_domain,
                                   std::string_view identity);

// RFC 4648 base64 with FWS anywhere, as DKIM tag values carry it (b=, bh=, p=);
// nullopt when it is not base64.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text);

// Does b= (base64, FWS anywhere, as in the tag value) sign `header_hash` with
// this key? rsa-*: PKCS#1 v1.5 with a='s digest (RFC 6376 §3.3); ed25519-sha256:
// PureEdDSA over the 32-byte SHA-256 header hash (RFC 8463 §3). false for a bad
// signature, an undecodable b=, a hash of the wrong length or a key of another type.
bool signature_matches(const PublicKey& key, std::string_view algorithm, std::span<const unsigned char> header_hash,
                       std::string_view b_base64);

// Decoded records by their exact text, so a changed record is a new entry and
// nothing goes stale beyond the resolver's own cache. Entries are found by the
// SHA-256 of the text rather than the text itself: a record may be 64 KiB (a
// DNS answer), and a hostile domain must not make `capacity` of them cost
// 64 KiB each. At most `capacity` entries; the least recently used goes first
// (a burst of one-off records then evicts cold keys, not the hot ones, as
// clearing would). Problems are cached too: a bad record is parsed once.
// Thread-safe: one mutex around the table; the decode runs outside it.
// capacity 0: no caching, every get() parses.
class KeyCache {
public:
    explicit KeyCache(std::size_t capacity);
    ~KeyCache();
    KeyCache(const KeyCache&) = delete;
    KeyCache& operator=(const KeyCache&) = delete;

    std::shared_ptr<const KeyRecord> get(std::string_view record);
    std::size_t size() const;

private:
    using Digest = std::array<unsigned char, 32>;
    struct DigestHash {
        std::size_t operator()(const Digest& digest) const noexcept;
    };
    using Entry = std::pair<Digest, std::shared_ptr<const KeyRecord>>;

    std::optional<Digest> digest_of(std::string_view record) const;

    const std::size_t capacity_;
    EVP_MD* sha256_;  // fetched once: an implicit fetch per get() would take OpenSSL's global lock
    mutable std::mutex mutex_;
    std::list<Entry> recent_;  // most recently used first
    std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash> entries_;
};

}  // namespace mxgate::filters::dkim
