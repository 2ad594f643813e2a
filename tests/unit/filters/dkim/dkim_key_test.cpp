// The DKIM key record parser, key_fits, signature_matches and the KeyCache.
// Keys are made here with OpenSSL (RSA 1024/2048, Ed25519, EC) and signed over
// a 32-byte hash; two vectors from python3-dkim check that our reading of the
// header hash and b= is dkimpy's (RFC 8463 §3 PureEdDSA over the hash included).
#include "filters/dkim/dkim_key.hpp"

#include <gtest/gtest.h>

#include <array>
#include <thread>

#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace mxgate::filters::dkim {
namespace {

using Bytes = std::vector<unsigned char>;
using OwnedKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

OwnedKey generate(const char* type, std::size_t rsa_bits = 0) {
    EVP_PKEY* key = rsa_bits != 0 ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, rsa_bits)
                                  : std::string_view(type) == "EC" ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, "P-256")
                                                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    return OwnedKey(key, EVP_PKEY_free);
}

// Made once: RSA key generation takes tens of milliseconds.
EVP_PKEY* rsa1024() {
    static const OwnedKey key = generate("RSA", 1024);
    return key.get();
}
EVP_PKEY* rsa2048() {
    static const OwnedKey key = generate("RSA", 2048);
    return key.get();
}
EVP_PKEY* ed25519() {
    static const OwnedKey key = generate("ED25519");
    return key.get();
}

std::string base64(const Bytes& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    out.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size())));
    return out;
}

std::string spki_base64(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int length = i2d_PUBKEY(key, &der);
    const Bytes bytes(der, der + length);
    OPENSSL_free(der);
    return base64(bytes);
}

Bytes raw_public(EVP_PKEY* key) {
    Bytes raw(64);
    std::size_t length = raw.size();
    EVP_PKEY_get_raw_public_key(key, raw.data(), &length);
    raw.resize(length);
    return raw;
}

std::string rsa_record(EVP_PKEY* key) { return "v=DKIM1; k=rsa; p=" + spki_base64(key); }
std::string ed25519_record(EVP_PKEY* key) { return "v=DKIM1; k=ed25519; p=" + base64(raw_public(key)); }

Bytes hash_of(std::string_view text, const EVP_MD* digest = EVP_sha256()) {
    Bytes hash(EVP_MD_get_size(digest));
    EVP_Digest(text.data(), text.size(), hash.data(), nullptr, digest, nullptr);
    return hash;
}

std::string rsa_sign(EVP_PKEY* key, const Bytes& hash, const EVP_MD* digest = EVP_sha256()) {
    const std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(EVP_PKEY_CTX_new(key, nullptr),
                                                                              EVP_PKEY_CTX_free);
    EVP_PKEY_sign_init(context.get());
    EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_PADDING);
    EVP_PKEY_CTX_set_signature_md(context.get(), digest);
    std::size_t length = 0;
    EVP_PKEY_sign(context.get(), nullptr, &length, hash.data(), hash.size());
    Bytes signature(length);
    EXPECT_EQ(EVP_PKEY_sign(context.get(), signature.data(), &length, hash.data(), hash.size()), 1);
    signature.resize(length);
    return base64(signature);
}

std::string ed25519_sign(EVP_PKEY* key, const Bytes& hash) {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key);
    Bytes signature(64);
    std::size_t length = signature.size();
    EXPECT_EQ(EVP_DigestSign(context.get(), signature.data(), &length, hash.data(), hash.size()), 1);
    return base64(signature);
}

PublicKey key_of(const std::string& record) {
    auto parsed = parse_key_record(record);
    EXPECT_TRUE(std::holds_alternative<PublicKey>(parsed)) << record << ": " << std::get<KeyProblem>(parsed).detail;
    return std::holds_alternative<PublicKey>(parsed) ? std::get<PublicKey>(std::move(parsed)) : PublicKey{};
}

// The problem a record is, or nothing when it is a key.
std::optional<KeyProblem> problem_of(std::string_view record) {
    const auto parsed = parse_key_record(record);
    if (const auto* problem = std::get_if<KeyProblem>(&parsed)) return *problem;
    return std::nullopt;
}

void expect_invalid(std::string_view record, std::string_view detail) {
    const auto problem = problem_of(record);
    ASSERT_TRUE(problem) << record;
    EXPECT_EQ(problem->verification, Verification::key_invalid) << record;
    EXPECT_EQ(problem->detail, detail) << record;
}

// Flips one bit in the middle of a base64 text's bytes.
std::string flipped(const std::string& b64) {
    std::string out = b64;
    out[out.size() / 2] = out[out.size() / 2] == 'A' ? 'B' : 'A';
    return out;
}

TEST(DkimKeyRecord, RsaAndEd25519KeysDecode) {
    const PublicKey small = key_of(rsa_record(rsa1024()));
    EXPECT_EQ(small.type, KeyType::rsa);
    EXPECT_EQ(small.bits, 1024u);
    EXPECT_FALSE(small.testing);
    EXPECT_TRUE(small.hashes.empty());
    EXPECT_TRUE(small.services.empty());
    EXPECT_EQ(key_of(rsa_record(rsa2048())).bits, 2048u);
    // k= defaults to rsa, v= is optional.
    EXPECT_EQ(key_of("p=" + spki_base64(rsa2048())).type, KeyType::rsa);

    const PublicKey edwards = key_of(ed25519_record(ed25519()));
    EXPECT_EQ(edwards.type, KeyType::ed25519);
    EXPECT_EQ(edwards.bits, 256u);
    EXPECT_EQ(EVP_PKEY_eq(edwards.key.get(), ed25519()), 1);
}

TEST(DkimKeyRecord, TagListSyntax) {
    const std::string p = spki_base64(rsa1024());
    // FWS around tags, '=' and ';', a final ';', unknown tags, tags in any order after v=.
    const PublicKey key = key_of(" v = DKIM1 ;\r\n\tk=rsa; n=a note; x_future=1; h = SHA256 : sha1 ; s= Email:*;"
                                 " t=y:s:z; p =" + p + " ; ");
    EXPECT_EQ(key.hashes, (std::vector<std::string>{"sha256", "sha1"}));
    EXPECT_EQ(key.services, (std::vector<std::string>{"email", "*"}));
    EXPECT_TRUE(key.testing);
    EXPECT_TRUE(key.same_domain_only);
    // FWS anywhere inside p= (long keys are published in several strings, then folded).
    std::string folded = "v=DKIM1; p=";
    for (std::size_t i = 0; i < p.size(); i += 40) folded += p.substr(i, 40) + (i % 80 == 0 ? " " : "\r\n\t");
    EXPECT_EQ(key_of(folded).bits, 1024u);

    for (const std::string& record : {"v=DKIM1; v=DKIM1; p=" + p, "v=DKIM1; p=" + p + "; p=" + p,
                                      "v=DKIM1; k=rsa; k=rsa; p=" + p}) {
        expect_invalid(record, "key syntax");
    }
    for (const std::string& record :
         {"v=DKIM1;; p=" + p, "v=DKIM1; p=" + p + ";;", "v=DKIM1; novalue; p=" + p, "v=DKIM1; =x; p=" + p,
          "v=DKIM1; 1x=y; p=" + p, "v=DKIM1; a-b=y; p=" + p, "v=DKIM1; n=semi\x01colon; p=" + p,
          "v=DKIM1; n=caf\xc3\xa9; p=" + p, std::string(), std::string(" ; "), ";p=" + p}) {
        expect_invalid(record, "key syntax");
    }
}

TEST(DkimKeyRecord, VersionAndKeyType) {
    const std::string p = spki_base64(rsa1024());
    expect_invalid("k=rsa; v=DKIM1; p=" + p, "v= not first");
    expect_invalid("v=DKIM2; p=" + p, "unknown v=DKIM2");
    expect_invalid("v=dkim1; p=" + p, "unknown v=dkim1");
    expect_invalid("v=DKIM1; k=ecdsa; p=" + p, "unknown k=ecdsa");
    // What DNS wrote reaches a detail escaped and cut short.
    expect_invalid("v=DKIM1; k=ec\r\n dsa; p=" + p, "unknown k=ec\\x0d\\x0a dsa");
    expect_invalid("v=DKIM1; k=" + std::string(100, 'x') + "; p=" + p, "unknown k=" + std::string(29, 'x') + "...");
    // Case-sensitive tag names: "K" is an unknown tag, so k= stays rsa.
    EXPECT_EQ(key_of("v=DKIM1; K=ed25519; p=" + p).type, KeyType::rsa);
    // An RSA key under k=ed25519 and the other way round.
    expect_invalid("k=ed25519; p=" + p, "ed25519 key of " + std::to_string(i2d_PUBKEY(rsa1024(), nullptr)) + " bytes, not 32");
    expect_invalid("k=rsa; p=" + base64(raw_public(ed25519())), "p= is no public key");
}

TEST(DkimKeyRecord, PublicKeyValue) {
    expect_invalid("v=DKIM1; k=rsa", "no p=");
    expect_invalid("v=DKIM1; k=rsa; p=MIGf*MA0G", "p= not base64");
    expect_invalid("v=DKIM1; k=rsa; p=MIGfM", "p= not base64");      // a lone sixth bit group
    expect_invalid("v=DKIM1; k=rsa; p=MIG=fMA0", "p= not base64");  // data after padding
    expect_invalid("v=DKIM1; k=rsa; p=AAAA", "p= is no public key");

    for (const std::string record : {"v=DKIM1; k=rsa; p=", "v=DKIM1; k=ed25519; p= ;", "v=DKIM1; p=\r\n\t"}) {
        const auto problem = problem_of(record);
        ASSERT_TRUE(problem) << record;
        EXPECT_EQ(problem->verification, Verification::key_revoked) << record;
    }

    // Keys of other types under k=rsa: a DSA key (made by `openssl gendsa` on 1024-bit
    // parameters, `openssl dsa -pubout`) and an EC P-256 key.
    expect_invalid(
        "k=rsa; p=MIIBvzCCATMGByqGSM44BAEwggEmAoGBAOwaHQmR0EuRUDLKCW+2ja13YS8JzNBSTt8E7yxJfInNMKCSQRDPoNFKUe+DJmb6WJsDn3c"
        "f/SYrRXhL5qbqpfNRgTZGZiw1iTixOfVJ/nxgDq+Y9jsElYL9uEv+/xERCuS6nWFr9641DKpVMFRCL86yve05fKRvjBSJ9OvmiNENAh0AiXtJ"
        "raTmMT+WZO70ffMxN+OlhsYRsWset/vcHwKBgC8QmMc+6ykAhqzQk5mld3pmPVdWZMYwofTV4+v5vgdEW0tRlajtNKk4HBg/ebr8zQP6369Te"
        "JcK/JXHatOuJAGZsMo9ycChw4Z+c5u51yoxrNaIT0HFFDz3QMWzvoeryKZw2UjxzDXeW7qyHio1jmsy/jR9mgC7Ho3/w/0+YPL5A4GFAAKBgQ"
        "C5bJ/1SIzx3SgHgFkkPruoctpZVc9J4pZ9l6nh67OSD8dNW6BvtmQgDtvOw96ncfaoGUz3ALT09KcahSq+A+4xJOQbxZBM0Mso7Edbv1ovpj+"
        "NSrWxOt9YCe4Qts4qMK7cdRQACy3hbAuKS01/9nx3GyAJq4wwIgmhWqIFzSfDJg==",
        "p= is no RSA key");
    const OwnedKey ec = generate("EC");
    expect_invalid("k=rsa; p=" + spki_base64(ec.get()), "p= is no RSA key");

    // Ed25519 keys are 32 bytes exactly.
    Bytes raw = raw_public(ed25519());
    raw.pop_back();
    expect_invalid("k=ed25519; p=" + base64(raw), "ed25519 key of 31 bytes, not 32");
    // Unpadded base64 is read too (libopendkim does).
    std::string unpadded = ed25519_record(ed25519());
    while (unpadded.back() == '=') unpadded.pop_back();
    EXPECT_EQ(key_of(unpadded).type, KeyType::ed25519);
    // Bytes after the DER structure.
    Bytes der(i2d_PUBKEY(rsa1024(), nullptr));
    unsigned char* out = der.data();
    i2d_PUBKEY(rsa1024(), &out);
    der.push_back(0);
    expect_invalid("p=" + base64(der), "p= has bytes after the key");
}

TEST(DkimKeyFits, AlgorithmHashServiceAndSubdomains) {
    const PublicKey rsa = key_of(rsa_record(rsa1024()));
    const PublicKey edwards = key_of(ed25519_record(ed25519()));
    EXPECT_EQ(key_fits(rsa, "rsa-sha256", "example.org", ""), std::nullopt);
    EXPECT_EQ(key_fits(rsa, "rsa-sha1", "example.org", "user@example.org"), std::nullopt);
    EXPECT_EQ(key_fits(edwards, "ed25519-sha256", "example.org", ""), std::nullopt);

    const auto detail = [](const std::optional<KeyProblem>& problem) {
        EXPECT_TRUE(problem);
        if (!problem) return std::string();
        EXPECT_EQ(problem->verification, Verification::key_invalid) << problem->detail;
        return problem->detail;
    };
    EXPECT_EQ(detail(key_fits(rsa, "ed25519-sha256", "example.org", "")), "k=rsa key for a=ed25519-sha256");
    EXPECT_EQ(detail(key_fits(edwards, "rsa-sha256", "example.org", "")), "k=ed25519 key for a=rsa-sha256");
    const auto unknown = key_fits(rsa, "rsa-md5", "example.org", "");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->verification, Verification::invalid_signature);

    const std::string p = "; p=" + spki_base64(rsa1024());
    EXPECT_EQ(detail(key_fits(key_of("h=sha1" + p), "rsa-sha256", "example.org", "")), "h= does not allow sha256");
    EXPECT_EQ(key_fits(key_of("h=sha1:sha256" + p), "rsa-sha256", "example.org", ""), std::nullopt);
    EXPECT_EQ(key_fits(key_of("h=sha1:future" + p), "rsa-sha1", "example.org", ""), std::nullopt);

    EXPECT_EQ(key_fits(key_of("s=email" + p), "rsa-sha256", "example.org", ""), std::nullopt);
    EXPECT_EQ(key_fits(key_of("s=*" + p), "rsa-sha256", "example.org", ""), std::nullopt);
    EXPECT_EQ(key_fits(key_of("s=other:email" + p), "rsa-sha256", "example.org", ""), std::nullopt);
    EXPECT_EQ(detail(key_fits(key_of("s=other" + p), "rsa-sha256", "example.org", "")), "s= is not email");

    const PublicKey strict = key_of("t=s" + p);
    EXPECT_EQ(key_fits(strict, "rsa-sha256", "example.org", ""), std::nullopt);
    EXPECT_EQ(key_fits(strict, "rsa-sha256", "example.org", "@Example.ORG"), std::nullopt);
    EXPECT_EQ(key_fits(strict, "rsa-sha256", "example.org", "\"a@b\"@example.org"), std::nullopt);
    EXPECT_EQ(detail(key_fits(strict, "rsa-sha256", "example.org", "user@mail.example.org")),
              "t=s and i= is not in d= itself");
    // Without t=s a subdomain is fine (whether i= is under d= at all is the signature's check).
    EXPECT_EQ(key_fits(rsa, "rsa-sha256", "example.org", "user@mail.example.org"), std::nullopt);
}

TEST(DkimSignature, MatchesOnlyTheSignedHashWithTheRightKey) {
    const Bytes hash = hash_of("header hash input");
    for (EVP_PKEY* signer : {rsa1024(), rsa2048()}) {
        const PublicKey key = key_of(rsa_record(signer));
        const std::string b = rsa_sign(signer, hash);
        EXPECT_TRUE(signature_matches(key, "rsa-sha256", hash, b));
        // b= as folded in the field.
        EXPECT_TRUE(signature_matches(key, "rsa-sha256", hash, b.substr(0, 30) + "\r\n\t " + b.substr(30)));
        EXPECT_FALSE(signature_matches(key, "rsa-sha256", hash, flipped(b)));
        Bytes other = hash;
        other[0] ^= 1;
        EXPECT_FALSE(signature_matches(key, "rsa-sha256", other, b));
        EXPECT_FALSE(signature_matches(key, "rsa-sha256", hash, "not*base64"));
        EXPECT_FALSE(signature_matches(key, "rsa-sha256", hash, ""));
        EXPECT_FALSE(signature_matches(key, "ed25519-sha256", hash, b));
    }
    // The wrong key.
    EXPECT_FALSE(signature_matches(key_of(rsa_record(rsa2048())), "rsa-sha256", hash, rsa_sign(rsa1024(), hash)));

    // rsa-sha1: the 20-byte hash signed with SHA-1's DigestInfo; not readable as sha256.
    const Bytes sha1 = hash_of("header hash input", EVP_sha1());
    const PublicKey key = key_of(rsa_record(rsa1024()));
    const std::string b = rsa_sign(rsa1024(), sha1, EVP_sha1());
    EXPECT_TRUE(signature_matches(key, "rsa-sha1", sha1, b));
    EXPECT_FALSE(signature_matches(key, "rsa-sha256", sha1, b));
    Bytes padded = sha1;
    padded.resize(32);
    EXPECT_FALSE(signature_matches(key, "rsa-sha256", padded, b));
}

TEST(DkimSignature, Ed25519SignsTheHashItself) {
    const Bytes hash = hash_of("header hash input");
    const PublicKey key = key_of(ed25519_record(ed25519()));
    const std::string b = ed25519_sign(ed25519(), hash);
    EXPECT_TRUE(signature_matches(key, "ed25519-sha256", hash, b));
    EXPECT_FALSE(signature_matches(key, "ed25519-sha256", hash, flipped(b)));
    EXPECT_FALSE(signature_matches(key, "ed25519-sha256", hash, "%%%"));
    EXPECT_FALSE(signature_matches(key, "rsa-sha256", hash, b));
    const OwnedKey other = generate("ED25519");
    EXPECT_FALSE(signature_matches(key_of(ed25519_record(other.get())), "ed25519-sha256", hash, b));
    // PureEdDSA over the 32 bytes, never over their own hash or a shorter text.
    EXPECT_FALSE(signature_matches(key, "ed25519-sha256", hash_of("x"), b));
    EXPECT_FALSE(signature_matches(key, "ed25519-sha256", std::span(hash).first(31), b));
}

Bytes from_hex(std::string_view hex) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

// python3-dkim 1.1.4: dkim.sign() of its tests/data/ed25519test.msg with its test keys
// (ed25519test.key, test.private), then dkim.verify() with HashThrough.digest wrapped to
// record the header hash it verified (verify returned True).
TEST(DkimSignature, AgreesWithDkimpy) {
    const PublicKey edwards = key_of("k=ed25519; p=yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y=");
    EXPECT_TRUE(signature_matches(
        edwards, "ed25519-sha256", from_hex("0d1f876c37d302b7ba40c54210e5f4c20fcb116b4d79dae81a2c9ba41d32bebd"),
        "2ZoeV1amR5V0reLKHfotsXoCnkrjBovxT971t8gEVMSYslOFfNmjDQbFT3Vwr5YsCWNaBRFSdA7RPDsVo9TMBQ=="));
    const PublicKey rsa = key_of(
        "v=DKIM1; g=*; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQ"
        "iY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kry"
        "OTIKT+l/K4w3QIDAQAB");
    EXPECT_TRUE(signature_matches(
        rsa, "rsa-sha256", from_hex("e63d702f2f59c2e78d986e7638f0ae3f841b770329620310dad6abd0487ea86b"),
        "DfrFrd0PBxUVf+F07WryAm7nPamW0s9JX+8U8L30j3aLBkmkyz32ObKUScEiPZtxDrwspDGSx4bSeRivAFQwywRzuSkUCa/IEXYIfTMenCDnvR"
        "OGnFH2tZW/3NUqFTyT0XoDaF6+zq4S/anJuxsWei2oyJlT3HW02P/HOIxNaDc="));
}

TEST(DkimKeyCache, SameTextSameObject) {
    KeyCache cache(8);
    const std::string record = rsa_record(rsa1024());
    const auto first = cache.get(record);
    EXPECT_EQ(cache.get(record), first);
    EXPECT_TRUE(std::holds_alternative<PublicKey>(*first));
    // Another text, even of the same key, is another entry.
    EXPECT_NE(cache.get(record + ";"), first);
    EXPECT_EQ(cache.size(), 2u);

    // Problems are cached too.
    const auto revoked = cache.get("v=DKIM1; p=");
    EXPECT_EQ(cache.get("v=DKIM1; p="), revoked);
    EXPECT_EQ(std::get<KeyProblem>(*revoked).verification, Verification::key_revoked);
    EXPECT_EQ(cache.size(), 3u);
}

TEST(DkimKeyCache, HoldsAtMostCapacityDroppingTheLeastRecentlyUsed) {
    KeyCache cache(3);
    const auto record = [](int i) { return "v=DKIM1; n=" + std::to_string(i) + "; p="; };
    const auto zero = cache.get(record(0));
    cache.get(record(1));
    cache.get(record(2));
    EXPECT_EQ(cache.get(record(0)), zero);  // now the most recent
    cache.get(record(3));                   // drops 1
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.get(record(0)), zero);
    for (int i = 4; i < 100; ++i) cache.get(record(i));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_NE(cache.get(record(0)), zero);  // long gone: parsed again

    KeyCache none(0);
    EXPECT_NE(none.get(record(0)), none.get(record(0)));
    EXPECT_EQ(none.size(), 0u);
}

// Run by the ASan/UBSan build as well; TSan would name a race here.
TEST(DkimKeyCache, ConcurrentGets) {
    KeyCache cache(4);
    std::vector<std::string> records = {rsa_record(rsa1024()), rsa_record(rsa2048()), ed25519_record(ed25519()),
                                        "v=DKIM1; p=", "k=ecdsa; p=AAAA", "v=DKIM1; n=x; p=" + spki_base64(rsa1024())};
    const Bytes hash = hash_of("concurrent");
    const std::string b = rsa_sign(rsa1024(), hash);
    std::vector<std::thread> threads;
    std::array<int, 4> verified{};
    for (std::size_t t = 0; t < verified.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const auto record = cache.get(records[(t + i) % records.size()]);
                const auto* key = std::get_if<PublicKey>(record.get());
                if (key != nullptr && key->type == KeyType::rsa && key->bits == 1024)
                    verified[t] += signature_matches(*key, "rsa-sha256", hash, b) ? 1 : 0;
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_LE(cache.size(), 4u);
    // Each thread met both 1024-bit records 2 times in 6, and each verified.
    for (const int count : verified) EXPECT_GE(count, 66);
}

}  // namespace
}  // namespace mxgate::filters::dkim
