// libFuzzer: a DKIM key record as any domain may publish it, through
// parse_key_record, key_fits and signature_matches. abort()s when:
// - a key has no OpenSSL key, or one of another type than k= says, or an RSA
//   key without bits, or an Ed25519 key not counted as 256 bits;
// - h= or s= items are empty, not lower case, hold ':', ';' or a control, or
//   begin or end with FWS (an item like "sha1 sha256" is kept: it matches nothing);
// - a problem is neither key_invalid nor key_revoked, or its detail is empty,
//   longer than a log line's worth, or holds a control or non-ASCII octet;
// - KeyCache gives a different answer than parse_key_record.
// The input is split at its first NUL into the record and a b= value.
#include "filters/dkim/dkim_key.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace mxgate::filters::dkim;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_items(const std::vector<std::string>& items) {
    for (const std::string& item : items) {
        check(!item.empty() && item.front() > ' ' && item.back() > ' ');
        for (const char c : item)
            check((c == ' ' || c == '\t' || c == '\r' || c == '\n' || (c > ' ' && c < 0x7f)) && c != ':' && c != ';' &&
                  !(c >= 'A' && c <= 'Z'));
    }
}

void check_problem(const KeyProblem& problem) {
    check(problem.verification == Verification::key_invalid || problem.verification == Verification::key_revoked);
    check(!problem.detail.empty() && problem.detail.size() <= 80);
    for (const char c : problem.detail) check(c >= ' ' && c < 0x7f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string_view record = input.substr(0, nul);
    const std::string_view b = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

    const KeyRecord parsed = parse_key_record(record);
    KeyCache cache(1);
    check(cache.get(record)->index() == parsed.index());
    if (const auto* problem = std::get_if<KeyProblem>(&parsed)) {
        check_problem(*problem);
        return 0;
    }
    const PublicKey& key = std::get<PublicKey>(parsed);
    check(key.key != nullptr);
    if (key.type == KeyType::rsa) {
        check(EVP_PKEY_get_base_id(key.key.get()) == EVP_PKEY_RSA && key.bits > 0);
    } else {
        check(EVP_PKEY_get_base_id(key.key.get()) == EVP_PKEY_ED25519 && key.bits == 256);
    }
    check_items(key.hashes);
    check_items(key.services);

    const std::array<unsigned char, 32> hash{};
    for (const std::string_view algorithm : {"rsa-sha256", "rsa-sha1", "ed25519-sha256"}) {
        if (const auto problem = key_fits(key, algorithm, "example.org", "a@sub.example.org")) check_problem(*problem);
        (void)signature_matches(key, algorithm, algorithm == "rsa-sha1" ? std::span(hash).first(20) : std::span(hash), b);
    }
    return 0;
}
