// The DKIM body hash (RFC 6376 §3.7): the body canonicalized "simple" (§3.4.3)
// or "relaxed" (§3.4.4), cut to l= octets when the signature has one (§3.5),
// and digested with SHA-1 or SHA-256, as the body streams. Lines end with CRLF
// only: a bare CR or LF is ordinary content. Chunks may be cut anywhere, so the
// bytes whose fate depends on what follows (empty lines that may be trailing,
// a WSP run that may end its line, a CR that may start a CRLF) are held until
// it is known; any split of the same bytes gives the same result.
// Pure: no I/O, no logging; never throws of its own; an OpenSSL failure is an
// empty digest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace mxgate::filters::dkim {

enum class BodyCanonicalization : unsigned char { simple, relaxed };
enum class DigestAlgorithm : unsigned char { sha1, sha256 };

struct BodyHashSpec {
    BodyCanonicalization canonicalization = BodyCanonicalization::simple;
    DigestAlgorithm digest = DigestAlgorithm::sha256;
    std::optional<std::uint64_t> length_limit;  // l=, when the signature has one
    bool operator==(const BodyHashSpec&) const = default;
};

// Receives canonical bytes, a run or a buffer at a time (never a byte at a time).
class CanonicalSink {
public:
    virtual void write(std::string_view canonical) = 0;

protected:
    ~CanonicalSink() = default;
};

// The canonicalization alone, streaming: BodyHasher's engine, public so that
// tests (and canonicalize_body) can see the canonical bytes.
class BodyCanonicalizer {
public:
    explicit BodyCanonicalizer(BodyCanonicalization canonicalization) : canonicalization_(canonicalization) {}

    void feed(std::string_view chunk, CanonicalSink& sink);
    void finish(CanonicalSink& sink);  // once, after the last feed

private:
    void feed_simple(std::string_view chunk, CanonicalSink& sink);
    void feed_relaxed(std::string_view chunk, CanonicalSink& sink);

    BodyCanonicalization canonicalization_;
    std::uint64_t held_line_ends_ = 0;  // CRLFs of empty lines that may yet be trailing
    bool held_cr_ = false;              // the last byte fed was a CR: CRLF or content, the next byte says
    bool held_wsp_ = false;             // relaxed: a WSP run on this line, one SP unless the line ends
    bool line_has_content_ = false;     // relaxed: this line has emitted bytes (its CRLF is not held)
};

// The whole canonical body of `body` at once.
std::string canonicalize_body(BodyCanonicalization canonicalization, std::string_view body);

// One message body, fed as it streams; movable, not copyable.
class BodyHasher final : private CanonicalSink {
public:
    explicit BodyHasher(BodyHashSpec spec);
    BodyHasher(BodyHasher&&) noexcept = default;
    BodyHasher& operator=(BodyHasher&&) noexcept = default;
    ~BodyHasher() = default;

    void feed(std::string_view chunk);  // unstuffed body bytes; chunks are cut anywhere

    struct Result {
        std::string digest;              // raw digest bytes (20 or 32); empty when OpenSSL failed
        std::uint64_t canonical_length;  // whole canonical body length, before any l= cut
    };
    Result finish();  // once, after the last feed

    const BodyHashSpec& spec() const { return spec_; }

private:
    void write(std::string_view canonical) override;

    struct ContextFree {
        void operator()(evp_md_ctx_st* context) const;
    };

    BodyHashSpec spec_;
    BodyCanonicalizer canonicalizer_;
    std::unique_ptr<evp_md_ctx_st, ContextFree> context_;  // null when OpenSSL failed
    std::uint64_t canonical_length_ = 0;
};

}  // namespace mxgate::filters::dkim
