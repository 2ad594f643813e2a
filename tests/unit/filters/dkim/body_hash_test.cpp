// The DKIM body hash: the canonical bytes of RFC 6376 §3.4.3-§3.4.5, l= (§3.5),
// digests checked against python3-dkim, and the same result for any split of
// the same bytes (Beast-style: every split point).
#include "filters/dkim/body_hash.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

namespace mxgate::filters::dkim {
namespace {

using enum BodyCanonicalization;

std::string base64(const std::string& raw) {
    std::string text(4 * ((raw.size() + 2) / 3) + 1, '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                     reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    text.resize(static_cast<std::size_t>(size));
    return text;
}

BodyHasher::Result hash(const BodyHashSpec& spec, std::string_view body) {
    BodyHasher hasher(spec);
    hasher.feed(body);
    return hasher.finish();
}

// The canonical bytes, fed in the pieces cut at `cuts` (ascending offsets).
std::string canonical_in_pieces(BodyCanonicalization canonicalization, std::string_view body,
                                const std::vector<std::size_t>& cuts) {
    struct Collect final : CanonicalSink {
        void write(std::string_view canonical) override { text.append(canonical); }
        std::string text;
    } sink;
    BodyCanonicalizer canonicalizer(canonicalization);
    std::size_t from = 0;
    for (const std::size_t cut : cuts) {
        canonicalizer.feed(body.substr(from, cut - from), sink);
        from = cut;
    }
    canonicalizer.feed(body.substr(from), sink);
    canonicalizer.finish(sink);
    return sink.text;
}

// RFC 6376 §3.4.5.
constexpr std::string_view rfc_example_body = " C \r\nD \t E\r\n\r\n\r\n";

TEST(BodyHashCanonical, RfcExample) {
    EXPECT_EQ(canonicalize_body(simple, rfc_example_body), " C \r\nD \t E\r\n");
    EXPECT_EQ(canonicalize_body(relaxed, rfc_example_body), " C\r\nD E\r\n");
}

// Expected values computed with python3-dkim 1.1.4 (Debian python3-dkim):
//   c = dkim.canonicalization.{Simple,Relaxed}.canonicalize_body(body)
//   base64(hashlib.sha256(c).digest()), base64(hashlib.sha1(c).digest())
// The "rfc" and "hello" sha256 values are also the bh= of dkim.sign(...,
// canonicalize=(c, c), length=True), whose l= was the canonical length.
struct PythonCase {
    const char* name;
    std::string_view body;
    BodyCanonicalization canonicalization;
    std::string_view canonical;
    const char* sha256;
    const char* sha1;
};

const std::vector<PythonCase>& python_cases() {
    static const std::vector<PythonCase> cases = {
        {"rfc", rfc_example_body, simple, " C \r\nD \t E\r\n", "NOeivbQlDH9TmNKJUw7D53wZfsk8YMZ/hTuVVwTgi8s=",
         "CSbuGGcoeYJFyw+cZO2DPFHmfCo="},
        {"rfc", rfc_example_body, relaxed, " C\r\nD E\r\n", "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo=",
         "ekiYu+41TPsp6e+eqJHJcxAvAwk="},
        // An empty body is one CRLF in simple, nothing in relaxed (python3-dkim's
        // correct_empty_body; libopendkim agrees).
        {"empty", "", simple, "\r\n", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", "uoq1oCgLlTqpdDX/iUbLy7J1Wic="},
        {"empty", "", relaxed, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
        {"empty lines", "\r\n\r\n\r\n", simple, "\r\n", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
         "uoq1oCgLlTqpdDX/iUbLy7J1Wic="},
        {"empty lines", "\r\n\r\n\r\n", relaxed, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
         "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
        {"whitespace lines", "  \r\n\t\r\n", simple, "  \r\n\t\r\n", "Vc6GXJb6euZtHLfUGPKiRaLqyataO2twcBYaX1FdCX8=",
         "lpUWGs26WsW4peLD00MOeOPblFM="},
        {"whitespace lines", "  \r\n\t\r\n", relaxed, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
         "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
        {"no final CRLF", "abc", simple, "abc\r\n", "VSuraGTHp7aaUC7RhUuSRcDhow8AiqoLKB2mJYX9sCU=",
         "NNQVCtwzR/HdjOGf32W3TZcatgI="},
        {"no final CRLF", "abc", relaxed, "abc\r\n", "VSuraGTHp7aaUC7RhUuSRcDhow8AiqoLKB2mJYX9sCU=",
         "NNQVCtwzR/HdjOGf32W3TZcatgI="},
        {"no final CRLF after WSP", "abc  \t", simple, "abc  \t\r\n", "UgrJ/va8gL58eEcWXpLoYLYFNtIZ6sEBTUtAxNF1KMc=",
         "t4bJlp1ZDHuNhrK/8lKJrLm++Jo="},
        // python3-dkim strips only WSP followed by CRLF: the unterminated line keeps one SP.
        {"no final CRLF after WSP", "abc  \t", relaxed, "abc \r\n", "//AUghT1UT5Xze6gw967Ji8Kj9xIH9zUgESXFu+wNJE=",
         "8WWJwM6B4tLSwDB0T7isSy1XA8w="},
        {"trailing WSP lines", "text \t\r\n  \r\n \r\n", simple, "text \t\r\n  \r\n \r\n",
         "PDZx2X2JJceVvV6M49HcnhGUzfvt4qSMj/lO5DZkh0E=", "yMw9TuLuXyTa6rMYi7g0ar/Filc="},
        {"trailing WSP lines", "text \t\r\n  \r\n \r\n", relaxed, "text\r\n",
         "eDCyaw7m810RhFf0TmGWGkTYiT/1GwL4/PCOGIr3ew4=", "YJ6LdOgqBcUKuHH4VHnXRFsrH4E="},
        // A bare CR or LF is content; WSP before one is inside the line.
        {"bare CR and LF", "a\rb\nc \r \n\r\n\r", simple, "a\rb\nc \r \n\r\n\r\r\n",
         "7FNF8GZl2pD5SbBlx25VG1ClJNaOLCyowNV+sLsVKd8=", "Dg2pfnd95Dx2Hu6HpUuDj3f3/zU="},
        {"bare CR and LF", "a\rb\nc \r \n\r\n\r", relaxed, "a\rb\nc \r \n\r\n\r\r\n",
         "7FNF8GZl2pD5SbBlx25VG1ClJNaOLCyowNV+sLsVKd8=", "Dg2pfnd95Dx2Hu6HpUuDj3f3/zU="},
        {"hello", "Hello,  world!\t\r\n\r\n  Indented\tline \r\n", simple,
         "Hello,  world!\t\r\n\r\n  Indented\tline \r\n", "vZjInNUW03OnkA5h4Tuzwyly1f3Ji7JvEC4uosCefRQ=",
         "K+0UsReqklf4hddd98CCtr8C95g="},
        {"hello", "Hello,  world!\t\r\n\r\n  Indented\tline \r\n", relaxed, "Hello, world!\r\n\r\n Indented line\r\n",
         "kkQ8Csay9jMz5BPGHBNHCVL0ecsV/t3FJHyS1n+dabI=", "SJADC3v8vjeQ21TIsb8/xnkteB0="},
    };
    return cases;
}

TEST(BodyHashCanonical, MatchesPythonDkim) {
    for (const auto& c : python_cases())
        EXPECT_EQ(canonicalize_body(c.canonicalization, c.body), c.canonical)
            << c.name << (c.canonicalization == simple ? " simple" : " relaxed");
}

TEST(BodyHashDigest, MatchesPythonDkimForSha256AndSha1) {
    for (const auto& c : python_cases()) {
        const auto label = std::string(c.name) + (c.canonicalization == simple ? " simple" : " relaxed");
        const auto sha256 = hash({c.canonicalization, DigestAlgorithm::sha256, {}}, c.body);
        EXPECT_EQ(sha256.digest.size(), 32u) << label;
        EXPECT_EQ(base64(sha256.digest), c.sha256) << label;
        EXPECT_EQ(sha256.canonical_length, c.canonical.size()) << label;
        const auto sha1 = hash({c.canonicalization, DigestAlgorithm::sha1, {}}, c.body);
        EXPECT_EQ(sha1.digest.size(), 20u) << label;
        EXPECT_EQ(base64(sha1.digest), c.sha1) << label;
        EXPECT_EQ(sha1.canonical_length, c.canonical.size()) << label;
    }
}

// Expected digests of the first l= octets: python3-dkim's canonical body c,
// base64(hashlib.sha256(c[:l]).digest()) (sha1 for the last one).
TEST(BodyHashDigest, LengthLimitCutsTheHashNotTheLength) {
    constexpr std::string_view hello = "Hello,  world!\t\r\n\r\n  Indented\tline \r\n";  // 33 canonical octets (relaxed)
    const auto with_limit = [&](std::uint64_t limit) {
        return hash({relaxed, DigestAlgorithm::sha256, limit}, hello);
    };
    const auto none = with_limit(0);
    EXPECT_EQ(base64(none.digest), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");  // SHA-256 of nothing
    EXPECT_EQ(none.canonical_length, 33u);
    const auto shorter = with_limit(5);
    EXPECT_EQ(base64(shorter.digest), "GF+NsyJx/iX1Yab8k4suJkMG7DBO2lGAB9F2SCY4GWk=");
    EXPECT_EQ(shorter.canonical_length, 33u);
    const auto equal = with_limit(33);
    EXPECT_EQ(base64(equal.digest), "kkQ8Csay9jMz5BPGHBNHCVL0ecsV/t3FJHyS1n+dabI=");
    EXPECT_EQ(equal.canonical_length, 33u);
    // Past the end: the whole body is hashed; the caller sees the body is shorter than l=.
    const auto longer = with_limit(1000);
    EXPECT_EQ(longer.digest, equal.digest);
    EXPECT_EQ(longer.canonical_length, 33u);

    const auto sha1 = hash({simple, DigestAlgorithm::sha1, 3}, rfc_example_body);
    EXPECT_EQ(base64(sha1.digest), "XZ1qb19iP3W+It2SNEWTKz0qFF8=");
    EXPECT_EQ(sha1.canonical_length, 12u);
}

TEST(BodyHashDigest, LengthLimitWorksAcrossChunks) {
    const BodyHashSpec spec{relaxed, DigestAlgorithm::sha256, 5};
    BodyHasher hasher(spec);
    EXPECT_EQ(hasher.spec(), spec);
    for (const char c : std::string_view("Hello,  world!\t\r\n\r\n  Indented\tline \r\n")) hasher.feed({&c, 1});
    const auto result = hasher.finish();
    EXPECT_EQ(base64(result.digest), "GF+NsyJx/iX1Yab8k4suJkMG7DBO2lGAB9F2SCY4GWk=");
    EXPECT_EQ(result.canonical_length, 33u);
}

// Bodies where a cut can fall between CR and LF, inside a WSP run, or inside
// a run of empty lines; each is cut in two and in three at every point.
TEST(BodyHashStreaming, EverySplitGivesTheSameBytes) {
    std::vector<std::string_view> bodies = {rfc_example_body, "", "\r", "\r\n", "\r\r\n\n", " \t \r\n \r\n\r\n",
                                            "a \t \r\n\r\n\r\nb\r\n\r\n", "x\r \r\n\r\n \t\r\ny  ", "\n\r\n\r\r\n \r"};
    for (const auto& c : python_cases()) bodies.push_back(c.body);
    for (const auto canonicalization : {simple, relaxed}) {
        for (const auto body : bodies) {
            const auto whole = canonicalize_body(canonicalization, body);
            for (std::size_t i = 0; i <= body.size(); ++i) {
                for (std::size_t j = i; j <= body.size(); ++j) {
                    ASSERT_EQ(canonical_in_pieces(canonicalization, body, {i, j}), whole)
                        << testing::PrintToString(std::string(body)) << " cut at " << i << " and " << j;
                }
            }
        }
    }
}

// Relaxed passes unchanged runs 16 bytes a step; fed a byte at a time, every
// byte goes through the state machine. Each change, at each offset of a run,
// must come out the same both ways.
TEST(BodyHashStreaming, RunsMatchByteAtATime) {
    const std::string_view changes[] = {"  ", "\t", " \r\n", "\r\n\r\n", "\rx", "\n\r\n", " \t\r\n\r\n", " \r", "\r\r\n"};
    for (const auto change : changes) {
        for (std::size_t offset = 1; offset < 40; ++offset) {
            for (const std::string_view ending : {"\r\nb c\r\n", "\r\n\r\n\r\n", " "}) {
                std::string body(48, 'a');
                body.insert(offset, change);
                body += ending;
                std::vector<std::size_t> every_byte(body.size());
                for (std::size_t i = 0; i < body.size(); ++i) every_byte[i] = i;
                for (const auto canonicalization : {simple, relaxed})
                    ASSERT_EQ(canonicalize_body(canonicalization, body),
                              canonical_in_pieces(canonicalization, body, every_byte))
                        << testing::PrintToString(body);
            }
        }
    }
}

// A body bigger than the output buffer, with runs longer than it: WSP runs,
// runs of empty lines (also longer than a block of held line ends), long lines.
std::string large_body() {
    std::mt19937 random(2026);
    std::string body;
    const std::string_view pieces[] = {"word", " ", "\t", "\r\n", "\r", "\n", "  \t ", "\r\n\r\n", "longer-word."};
    while (body.size() < 300'000) {
        const auto pick = random() % 100;
        if (pick == 0)
            body.append(20'000, ' ');
        else if (pick == 1)
            for (int i = 0; i < 1500; ++i) body.append("\r\n");
        else if (pick == 2)
            body.append(40'000, 'x');
        else
            body.append(pieces[pick % std::size(pieces)]);
    }
    return body;
}

TEST(BodyHashStreaming, RandomSplitsOfALargeBody) {
    const auto body = large_body();
    std::mt19937 random(6376);
    for (const auto canonicalization : {simple, relaxed}) {
        const auto whole = hash({canonicalization, DigestAlgorithm::sha256, {}}, body);
        ASSERT_EQ(whole.canonical_length, canonicalize_body(canonicalization, body).size());
        for (int round = 0; round < 20; ++round) {
            BodyHasher hasher({canonicalization, DigestAlgorithm::sha256, {}});
            std::size_t from = 0;
            while (from < body.size()) {
                // Mostly small pieces, sometimes large ones.
                const std::size_t size = random() % 8 == 0 ? random() % 70'000 : random() % 7;
                hasher.feed(std::string_view(body).substr(from, size));
                from += size;
            }
            const auto split = hasher.finish();
            ASSERT_EQ(split.digest, whole.digest) << "round " << round;
            ASSERT_EQ(split.canonical_length, whole.canonical_length);
        }
    }
}

TEST(BodyHashCanonical, LongRunsAreCanonicalized) {
    const std::string wsp(20'000, ' ');
    std::string empty_lines;
    for (int i = 0; i < 1500; ++i) empty_lines.append("\r\n");
    const std::string body = "a" + wsp + "b" + wsp + "\r\n" + empty_lines + wsp + "c\r\n" + empty_lines;
    EXPECT_EQ(canonicalize_body(relaxed, body), "a b\r\n" + empty_lines + " c\r\n");
    EXPECT_EQ(canonicalize_body(simple, body), "a" + wsp + "b" + wsp + "\r\n" + empty_lines + wsp + "c\r\n");
}

TEST(BodyHashDigest, MovedHasherGoesOn) {
    BodyHasher first({relaxed, DigestAlgorithm::sha256, {}});
    first.feed(" C \r\nD \t");
    BodyHasher second(std::move(first));
    second.feed(" E\r\n\r\n\r\n");
    EXPECT_EQ(base64(second.finish().digest), "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo=");
}

}  // namespace
}  // namespace mxgate::filters::dkim
