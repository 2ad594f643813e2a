#include "filters/dkim/dkim_key.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "proxy/core/text.hpp"

namespace mxgate::filters::dkim {

namespace {

constexpr std::size_t ed25519_key_bytes = 32;  // RFC 8032 §5.1.5
constexpr unsigned ed25519_key_bits = 256;     // RFC 8463 §4; OpenSSL counts 253
constexpr std::size_t sha256_bytes = 32;       // the header hash ed25519-sha256 signs
constexpr std::size_t max_detail_value = 32;   // of a value quoted in a detail: DNS and signers write them

// RFC 6376 §2.8: FWS is white space with line breaks; a DNS record has no line
// structure to keep, so any run of these counts.
bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_fws(std::string_view text) {
    while (!text.empty() && is_fws(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_fws(text.back())) text.remove_suffix(1);
    return text;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Tag {
    std::string_view name;
    std::string_view value;  // without the FWS around it
};

// RFC 6376 §3.2:
//   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  =  ALPHA *ALNUMPUNC
//   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//   tval      =  1*VALCHAR              ; VALCHAR = %x21-3A / %x3C-7E
// nullopt for a text that is no tag-list or names a tag twice.
std::optional<std::vector<Tag>> parse_tag_list(std::string_view text) {
    std::vector<Tag> tags;
    while (true) {
        const std::size_t end = std::min(text.find(';'), text.size());
        const std::string_view spec = trim_fws(text.substr(0, end));
        const bool last = end == text.size();
        // Only the final ';' may have nothing after it.
        if (spec.empty()) {
            if (last && !tags.empty()) return tags;
            return std::nullopt;
        }
        const std::size_t equals = spec.find('=');
        if (equals == std::string_view::npos) return std::nullopt;
        const Tag tag{trim_fws(spec.substr(0, equals)), trim_fws(spec.substr(equals + 1))};
        if (tag.name.empty() || !is_alpha(tag.name.front())) return std::nullopt;
        for (const char c : tag.name)
            if (!is_alpha(c) && !is_digit(c) && c != '_') return std::nullopt;
        for (const char c : tag.value)
            if (!is_fws(c) && (c < 0x21 || c > 0x7e)) return std::nullopt;
        for (const Tag& seen : tags)
            if (seen.name == tag.name) return std::nullopt;
        tags.push_back(tag);
        if (last) return tags;
        text.remove_prefix(end + 1);
    }
}

// The items of a colon-separated tag value (h=, s=, t=), lowercase, FWS around each removed.
std::vector<std::string> colon_list(std::string_view value) {
    std::vector<std::string> items;
    while (true) {
        const std::size_t end = std::min(value.find(':'), value.size());
        const std::string_view item = trim_fws(value.substr(0, end));
        if (!item.empty()) items.push_back(core::ascii_lower(item));
        if (end == value.size()) return items;
        value.remove_prefix(end + 1);
    }
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

// RFC 4648 §4 base64 with FWS anywhere (RFC 6376 §3.5 b=, §3.6.1 p=). '=' only
// at the end; like libopendkim, the padding may be left out.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text) {
    std::vector<unsigned char> out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t pending = 0;
    int pending_bits = 0;
    std::size_t digits = 0;
    std::size_t padding = 0;
    for (const char c : text) {
        if (is_fws(c)) continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        const int value = base64_value(c);
        if (value < 0 || padding > 0) return std::nullopt;
        pending = (pending << 6) | static_cast<std::uint32_t>(value);
        pending_bits += 6;
        ++digits;
        if (pending_bits >= 8) {
            pending_bits -= 8;
            out.push_back(static_cast<unsigned char>(pending >> pending_bits));
            pending &= (1u << pending_bits) - 1;
        }
    }
    if (digits % 4 == 1 || padding > 2) return std::nullopt;
    if (padding > 0 && (digits + padding) % 4 != 0) return std::nullopt;
    return out;
}

namespace {

KeyProblem invalid(std::string detail) { return KeyProblem{Verification::key_invalid, std::move(detail)}; }

std::string quoted(std::string_view value) { return core::printable(value, max_detail_value); }

std::shared_ptr<EVP_PKEY> owned(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

// p= decoded under k=: DER SubjectPublicKeyInfo for rsa (RFC 6376 §3.6.1), the
// 32 raw bytes of RFC 8032 for ed25519 (RFC 8463 §4).
std::variant<std::shared_ptr<EVP_PKEY>, KeyProblem> decode_key(KeyType type, const std::vector<unsigned char>& der) {
    if (type == KeyType::ed25519) {
        if (der.size() != ed25519_key_bytes)
            return invalid("ed25519 key of " + std::to_string(der.size()) + " bytes, not 32");
        EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, der.data(), der.size());
        if (key == nullptr) {
            ERR_clear_error();  // our failure is a value; leave no error for the thread's next TLS call
            return invalid("ed25519 key not usable");
        }
        return owned(key);
    }
    const unsigned char* next = der.data();
    std::shared_ptr<EVP_PKEY> key = owned(d2i_PUBKEY(nullptr, &next, static_cast<long>(der.size())));
    if (!key) {
        ERR_clear_error();
        return invalid("p= is no public key");
    }
    if (next != der.data() + der.size()) return invalid("p= has bytes after the key");
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return invalid("p= is no RSA key");
    return key;
}

struct Algorithm {
    KeyType type;
    std::string_view hash;  // as h= names it
};

// RFC 6376 §3.3, RFC 8463 §3.
std::optional<Algorithm> algorithm_named(std::string_view name) {
    if (name == "rsa-sha256") return Algorithm{KeyType::rsa, "sha256"};
    if (name == "rsa-sha1") return Algorithm{KeyType::rsa, "sha1"};
    if (name == "ed25519-sha256") return Algorithm{KeyType::ed25519, "sha256"};
    return std::nullopt;
}

bool rsa_signature_matches(EVP_PKEY* key, const EVP_MD* digest, std::span<const unsigned char> hash,
                           const std::vector<unsigned char>& signature) {
    if (hash.size() != static_cast<std::size_t>(EVP_MD_get_size(digest))) return false;
    const std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(EVP_PKEY_CTX_new(key, nullptr),
                                                                              EVP_PKEY_CTX_free);
    return context && EVP_PKEY_verify_init(context.get()) == 1 &&
           EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_PADDING) == 1 &&
           EVP_PKEY_CTX_set_signature_md(context.get(), digest) == 1 &&
           EVP_PKEY_verify(context.get(), signature.data(), signature.size(), hash.data(), hash.size()) == 1;
}

// RFC 8463 §3: PureEdDSA (no prehash by Ed25519 itself) over the SHA-256 header hash.
bool ed25519_signature_matches(EVP_PKEY* key, std::span<const unsigned char> hash,
                               const std::vector<unsigned char>& signature) {
    if (hash.size() != sha256_bytes) return false;
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return context && EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key) == 1 &&
           EVP_DigestVerify(context.get(), signature.data(), signature.size(), hash.data(), hash.size()) == 1;
}

}  // namespace

KeyRecord parse_key_record(std::string_view record) {
    const auto tags = parse_tag_list(record);
    if (!tags) return invalid("key syntax");
    const auto value_of = [&](std::string_view name) -> std::optional<std::string_view> {
        for (const Tag& tag : *tags)
            if (tag.name == name) return tag.value;
        return std::nullopt;
    };
    // RFC 6376 §3.6.1: v= "MUST be the first tag in the record"; "DKIM1" is the only version.
    if (const auto version = value_of("v")) {
        if (tags->front().name != "v") return invalid("v= not first");
        if (*version != "DKIM1") return invalid("unknown v=" + quoted(*version));
    }
    PublicKey key;
    if (const auto type = value_of("k")) {
        const std::string name = core::ascii_lower(*type);
        if (name == "ed25519") key.type = KeyType::ed25519;
        else if (name != "rsa") return invalid("unknown k=" + quoted(name));
    }
    if (const auto hashes = value_of("h")) key.hashes = colon_list(*hashes);
    if (const auto services = value_of("s")) key.services = colon_list(*services);
    if (const auto flags = value_of("t")) {
        // Unknown flags are ignored (RFC 6376 §3.6.1).
        for (const std::string& flag : colon_list(*flags)) {
            if (flag == "y") key.testing = true;
            if (flag == "s") key.same_domain_only = true;
        }
    }
    const auto p = value_of("p");
    if (!p) return invalid("no p=");
    const auto der = decode_base64(*p);
    if (!der) return invalid("p= not base64");
    if (der->empty()) return KeyProblem{Verification::key_revoked, "key revoked"};
    auto decoded = decode_key(key.type, *der);
    if (auto* problem = std::get_if<KeyProblem>(&decoded)) return std::move(*problem);
    key.key = std::move(std::get<std::shared_ptr<EVP_PKEY>>(decoded));
    key.bits = key.type == KeyType::ed25519 ? ed25519_key_bits : static_cast<unsigned>(EVP_PKEY_get_bits(key.key.get()));
    return key;
}

std::optional<KeyProblem> key_fits(const PublicKey& key, std::string_view algorithm, std::string_view signing_domain,
                                   std::string_view identity) {
    const auto named = algorithm_named(algorithm);
    // Not the key's fault: the signature names no algorithm we know.
    if (!named) return KeyProblem{Verification::invalid_signature, "unknown a=" + quoted(algorithm)};
    if (named->type != key.type)
        return invalid(std::string(key.type == KeyType::rsa ? "k=rsa" : "k=ed25519") + " key for a=" +
                       std::string(algorithm));
    if (!key.hashes.empty() && std::find(key.hashes.begin(), key.hashes.end(), named->hash) == key.hashes.end())
        return invalid("h= does not allow " + std::string(named->hash));
    // RFC 6376 §3.6.1 s=: "*" or "email" (the only service type there is).
    const auto serves = [&](std::string_view service) {
        return std::find(key.services.begin(), key.services.end(), service) != key.services.end();
    };
    if (!key.services.empty() && !serves("*") && !serves("email")) return invalid("s= is not email");
    if (key.same_domain_only && !identity.empty()) {
        const std::size_t at = identity.rfind('@');
        const std::string_view identity_domain = at == std::string_view::npos ? identity : identity.substr(at + 1);
        if (!core::iequals(identity_domain, signing_domain)) return invalid("t=s and i= is not in d= itself");
    }
    return std::nullopt;
}

bool signature_matches(const PublicKey& key, std::string_view algorithm, std::span<const unsigned char> header_hash,
                       std::string_view b_base64) {
    const auto named = algorithm_named(algorithm);
    if (!named || named->type != key.type || !key.key) return false;
    const auto signature = decode_base64(b_base64);
    if (!signature || signature->empty()) return false;
    const bool matches = named->type == KeyType::ed25519
                             ? ed25519_signature_matches(key.key.get(), header_hash, *signature)
                             : rsa_signature_matches(key.key.get(), named->hash == "sha1" ? EVP_sha1() : EVP_sha256(),
                                                     header_hash, *signature);
    // A bad signature leaves errors queued on this thread; TLS on it must not read them later.
    if (!matches) ERR_clear_error();
    return matches;
}

std::size_t KeyCache::DigestHash::operator()(const Digest& digest) const noexcept {
    std::size_t hash = 0;
    std::memcpy(&hash, digest.data(), sizeof hash);  // SHA-256 output is uniform already
    return hash;
}

KeyCache::KeyCache(std::size_t capacity) : capacity_(capacity), sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}

KeyCache::~KeyCache() { EVP_MD_free(sha256_); }

std::optional<KeyCache::Digest> KeyCache::digest_of(std::string_view record) const {
    Digest digest;
    unsigned int length = 0;
    if (sha256_ == nullptr || EVP_Digest(record.data(), record.size(), digest.data(), &length, sha256_, nullptr) != 1 ||
        length != digest.size()) {
        ERR_clear_error();
        return std::nullopt;
    }
    return digest;
}

std::shared_ptr<const KeyRecord> KeyCache::get(std::string_view record) {
    const auto digest = capacity_ == 0 ? std::nullopt : digest_of(record);
    if (!digest) return std::make_shared<const KeyRecord>(parse_key_record(record));
    {
        const std::lock_guard lock(mutex_);
        if (const auto found = entries_.find(*digest); found != entries_.end()) {
            recent_.splice(recent_.begin(), recent_, found->second);
            return found->second->second;
        }
    }
    // Decoded outside the lock: two threads may both decode a new record; the first one stored wins.
    auto parsed = std::make_shared<const KeyRecord>(parse_key_record(record));
    std::shared_ptr<const KeyRecord> evicted;  // freed after the lock is released
    const std::lock_guard lock(mutex_);
    if (const auto found = entries_.find(*digest); found != entries_.end()) {
        recent_.splice(recent_.begin(), recent_, found->second);
        return found->second->second;
    }
    recent_.emplace_front(*digest, parsed);
    entries_.emplace(*digest, recent_.begin());
    if (entries_.size() > capacity_) {
        evicted = std::move(recent_.back().second);
        entries_.erase(recent_.back().first);
        recent_.pop_back();
    }
    return parsed;
}

std::size_t KeyCache::size() const {
    const std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace mxgate::filters::dkim
