// libFuzzer: a message body as any sender may write it, through BodyHasher.
// The first input byte picks the canonicalization, the digest, an l= and
// where the body is cut into three chunks; the rest is the body. abort()s when:
// - the body fed in three chunks hashes differently from the body fed whole
//   (streaming must not depend on where the reads fall);
// - canonical_length differs from the length of canonicalize_body();
// - a digest is empty (OpenSSL failed) or of the wrong size.
#include "filters/dkim/body_hash.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace mxgate::filters::dkim;

void check(bool ok) {
    if (!ok) std::abort();
}

BodyHasher::Result hash(const BodyHashSpec& spec, std::string_view body, std::size_t cut_a, std::size_t cut_b) {
    BodyHasher hasher(spec);
    hasher.feed(body.substr(0, cut_a));
    hasher.feed(body.substr(cut_a, cut_b - cut_a));
    hasher.feed(body.substr(cut_b));
    return hasher.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t choice = data[0];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    BodyHashSpec spec;
    spec.canonicalization = (choice & 1) ? BodyCanonicalization::relaxed : BodyCanonicalization::simple;
    spec.digest = (choice & 2) ? DigestAlgorithm::sha1 : DigestAlgorithm::sha256;
    if (choice & 4) spec.length_limit = body.size() / 2;
    const std::size_t cut_a = body.empty() ? 0 : (choice * 7u) % body.size();
    const std::size_t cut_b = cut_a + (body.size() - cut_a) / 2;

    const BodyHasher::Result whole = hash(spec, body, body.size(), body.size());
    const BodyHasher::Result split = hash(spec, body, cut_a, cut_b);
    check(whole.digest == split.digest && whole.canonical_length == split.canonical_length);
    check(whole.digest.size() == (spec.digest == DigestAlgorithm::sha1 ? 20u : 32u));
    check(whole.canonical_length == canonicalize_body(spec.canonicalization, body).size());
    return 0;
}
