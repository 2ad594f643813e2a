// DKIM verification against real peers: messages signed at test time by
// python3-dkim (dkimpy) with keys made for this run, the keys served by nsd,
// fetched through UnboundResolver, the messages fed to DkimFilter's inspector in
// odd chunks. Covers RSA 1024/2048/4096, ed25519, relaxed and simple
// canonicalization, a changed body and Subject, a missing, a revoked and an
// unreachable key, rsa-sha1 and a 512-bit key (RFC 8301), two signatures of
// which one is bad, and a key answer only TCP can carry.
#include "filters/dkim/dkim_filter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "filters/dns/unbound_resolver.hpp"
#include "tests/integration/native/filters/dns/nsd_fixture.hpp"
#include "tests/unit/filters/message_inspection.hpp"

namespace mxgate::filters::dkim {
namespace {

using namespace std::chrono_literals;
using core::Outcome;

// Makes the keys, the zone records and one signed message per case in argv[1].
constexpr const char* signer = R"PY(
import base64, os, subprocess, sys
import dkim, nacl.signing

out = sys.argv[1]
records = []  # (owner relative to example.net., [strings])

def rsa_key(bits):
    pem = subprocess.run(["openssl", "genrsa", "-traditional", str(bits)], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=pem,
                         capture_output=True, check=True).stdout
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

def publish(selector, text, domain="example.net"):
    records.append((selector + "._domainkey." + domain + ".", text))

keys = {}
for bits in (512, 1024, 2048, 4096):
    keys[bits] = rsa_key(bits)
    publish("r%d" % bits, keys[bits][1])
ed = nacl.signing.SigningKey.generate()
ed_private = base64.b64encode(bytes(ed))
publish("ed", "v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(ed.verify_key)).decode())
publish("wrong", keys[1024][1])              # the 1024-bit key published for mail signed with the 2048-bit one
publish("revoked", "v=DKIM1; k=rsa; p=")
publish("big", keys[4096][1])                # the key, then a record that pushes the answer past 1232 octets (TCP)
publish("big", "padding " + "x" * 1400)

base = (b"From: Alice <alice@example.net>\r\n"
        b"To: bob@example.org\r\n"
        b"Subject: DKIM test,\r\n\tfolded  over two lines\r\n"
        b"Date: Sat, 05 Dec 2026 09:00:00 +0000\r\n"
        b"Message-ID: <fixture@example.net>\r\n"
        b"\r\n"
        b"Hello Bob,\r\n  a body  with  odd   spacing \t\r\n.leading dot\r\n\r\n\r\n")
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]

def sign(message, selector, domain=b"example.net", private=None, canon=(b"relaxed", b"relaxed"),
         algorithm=b"rsa-sha256", length=False):
    return dkim.sign(message, selector, domain, private, canonicalize=canon, signature_algorithm=algorithm,
                     include_headers=HEADERS, length=length) + message

def write(name, message):
    with open(os.path.join(out, name + ".eml"), "wb") as f:
        f.write(message)

write("rsa1024_relaxed", sign(base, b"r1024", private=keys[1024][0]))
write("rsa2048_simple", sign(base, b"r2048", private=keys[2048][0], canon=(b"simple", b"simple")))
write("rsa4096_mixed", sign(base, b"r4096", private=keys[4096][0], canon=(b"relaxed", b"simple")))
write("ed25519", sign(base, b"ed", private=ed_private, algorithm=b"ed25519-sha256"))
write("rsa_sha1", sign(base, b"r2048", private=keys[2048][0], algorithm=b"rsa-sha1"))
write("rsa512", sign(base, b"r512", private=keys[512][0]))
write("tcp_answer", sign(base, b"big", private=keys[4096][0]))
good = sign(base, b"r2048", private=keys[2048][0])
write("one_bad_of_two", sign(good, b"wrong", private=keys[2048][0]))
write("changed_body", good.replace(b"Hello Bob", b"Hello Eve"))
write("changed_subject", good.replace(b"Subject: DKIM test,", b"Subject: DKIM best,"))
write("missing_key", sign(base, b"missing", private=keys[1024][0]))
write("revoked_key", sign(base, b"revoked", private=keys[1024][0]))
write("key_servfail", sign(base, b"r1024", domain=b"unserved.example.org", private=keys[1024][0]))
write("key_timeout", sign(base, b"r1024", domain=b"dead.example.net", private=keys[1024][0]))
write("unsigned", base)
limited = sign(base, b"r2048", private=keys[2048][0], length=True)
write("length_limited", limited)
write("length_limited_appended", limited + b"Added after signing, past l=\r\n")
write("length_limited_cut", limited.replace(b".leading dot\r\n", b""))
write("two_canonicalizations", sign(sign(base, b"r2048", private=keys[2048][0], canon=(b"simple", b"simple")),
                                    b"ed", private=ed_private, algorithm=b"ed25519-sha256"))

with open(os.path.join(out, "records.zone"), "w") as f:
    for owner, text in records:
        chunks = [text[i:i + 250] for i in range(0, len(text), 250)] or [""]
        f.write(owner + " TXT " + " ".join('"%s"' % c for c in chunks) + "\n")
)PY";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class DkimNsd : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char pattern[] = "/tmp/mxgate-dkim-test-XXXXXX";
        dir_ = new std::filesystem::path(::mkdtemp(pattern));
        std::ofstream(*dir_ / "sign.py") << signer;
        const std::string command = "/usr/bin/python3 " + (*dir_ / "sign.py").string() + " " + dir_->string();
        signed_ = std::system(command.c_str()) == 0;
        const std::string zone = "$ORIGIN example.net.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n"
                                 "@ NS ns1\nns1 A 127.0.0.1\n" + read_file(*dir_ / "records.zone");
        nsd_ = new dns::test::NsdServer({{"example.net", zone}});
        silent_ = new dns::test::SilentDnsServer;
    }
    static void TearDownTestSuite() {
        delete nsd_;
        delete silent_;
        std::error_code ignored;
        std::filesystem::remove_all(*dir_, ignored);
        delete dir_;
    }
    void SetUp() override {
        ASSERT_TRUE(signed_) << "python3-dkim could not sign the fixtures";
        ASSERT_TRUE(nsd_->ready()) << "nsd did not start: " << nsd_->log();
        dns::DnsConfig dns_config;
        dns_config.servers = {nsd_->server()};  // unserved.example.org: nsd refuses -> servfail
        dns_config.timeout = 5s;
        dns_config.stub_zones = {{"dead.example.net", {silent_->server()}}};
        auto created = dns::UnboundResolver::create(dns_config);
        for (const auto& error : created.errors) ADD_FAILURE() << error;
        resolver_ = std::move(created.resolver);
        ASSERT_TRUE(resolver_);
        config_.timeout = 1500ms;  // the dead server's key: temperror at this deadline
        filter_ = make_filter();
    }
    std::unique_ptr<DkimFilter> make_filter() {
        return std::make_unique<DkimFilter>(std::make_shared<const DkimConfig>(config_), *resolver_);
    }
    std::vector<core::Finding> verify(const std::string& name, DkimFilter* filter = nullptr) {
        const std::string message = read_file(*dir_ / (name + ".eml"));
        EXPECT_FALSE(message.empty()) << name;
        return test::inspect_whole_message(filter ? *filter : *filter_, message);
    }
    // The one finding of a message with one signature.
    core::Finding only_finding(const std::string& name) {
        auto findings = verify(name);
        EXPECT_EQ(findings.size(), 1u) << name;
        return findings.empty() ? core::Finding{} : findings.front();
    }

    static inline std::filesystem::path* dir_ = nullptr;
    static inline bool signed_ = false;
    static inline dns::test::NsdServer* nsd_ = nullptr;
    static inline dns::test::SilentDnsServer* silent_ = nullptr;
    std::unique_ptr<dns::UnboundResolver> resolver_;
    DkimConfig config_;
    std::unique_ptr<DkimFilter> filter_;
};

// One signature's finding, with the attrs every one of them has.
void expect_signature(const core::Finding& finding, Outcome outcome, std::string_view selector,
                      std::string_view algorithm, std::string_view key_bits) {
    SCOPED_TRACE(finding.reason);
    EXPECT_EQ(finding.name, "dkim");
    EXPECT_EQ(finding.outcome, outcome) << core::to_string(finding.outcome);
    EXPECT_EQ(finding.attr("selector"), selector);
    EXPECT_EQ(finding.attr("algorithm"), algorithm);
    EXPECT_EQ(finding.attr("key_bits"), key_bits);
    EXPECT_EQ(finding.attr("action"), "") << "a fact: policy decides (docs/policy.md, Shorthand)";
    EXPECT_GE(finding.attr("b").size(), 8u);
    const std::string resinfo = "dkim=" + std::string(core::to_string(outcome));
    EXPECT_EQ(finding.attr("auth_results").substr(0, resinfo.size()), resinfo);
    EXPECT_NE(finding.attr("auth_results").find(" header.s=" + std::string(selector) + " header.b=" +
                                                 std::string(finding.attr("b"))),
              std::string::npos)
        << finding.attr("auth_results");
}

TEST_F(DkimNsd, GoodSignaturesOfEveryKeySizeAndCanonicalizationPass) {
    const std::map<std::string, std::array<std::string_view, 3>> cases = {
        {"rsa1024_relaxed", {"r1024", "rsa-sha256", "1024"}},
        {"rsa2048_simple", {"r2048", "rsa-sha256", "2048"}},
        {"rsa4096_mixed", {"r4096", "rsa-sha256", "4096"}},
        {"ed25519", {"ed", "ed25519-sha256", "256"}},
    };
    for (const auto& [name, expected] : cases) {
        SCOPED_TRACE(name);
        const auto finding = only_finding(name);
        expect_signature(finding, Outcome::pass, expected[0], expected[1], expected[2]);
        EXPECT_EQ(finding.attr("domain"), "example.net");
        EXPECT_EQ(finding.attr("auth_results").find("reason="), std::string::npos);
    }
    EXPECT_EQ(filter_->counters().pass.load(), 4u);
    EXPECT_EQ(filter_->counters().key_lookups.load(), 4u);
}

TEST_F(DkimNsd, KeyAnswerLargerThanUdpComesOverTcp) {
    expect_signature(only_finding("tcp_answer"), Outcome::pass, "big", "rsa-sha256", "4096");
}

// Each case: the message, its outcome, selector, algorithm, key size and words of its reason.
struct BadCase {
    std::string message;
    Outcome outcome;
    std::string_view selector, algorithm, key_bits, reason;
};

TEST_F(DkimNsd, EachBrokenSignatureHasItsOutcome) {
    const std::vector<BadCase> cases = {
        {"rsa_sha1", Outcome::policy, "r2048", "rsa-sha1", "2048", "rsa-sha1 is not accepted"},  // RFC 8301
        {"rsa512", Outcome::policy, "r512", "rsa-sha256", "512", "512-bit RSA key"},
        {"changed_body", Outcome::fail, "r2048", "rsa-sha256", "2048", "body hash did not verify"},
        {"changed_subject", Outcome::fail, "r2048", "rsa-sha256", "2048", "signature verification failed"},
        {"missing_key", Outcome::permerror, "missing", "rsa-sha256", "", "no key"},
        {"revoked_key", Outcome::permerror, "revoked", "rsa-sha256", "", "key revoked"},
        {"key_servfail", Outcome::temperror, "r1024", "rsa-sha256", "", "servfail"},  // nsd refuses unserved.example.org
        {"key_timeout", Outcome::temperror, "r1024", "rsa-sha256", "", "timed out"},   // its server never answers
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.message);
        const auto finding = only_finding(c.message);
        expect_signature(finding, c.outcome, c.selector, c.algorithm, c.key_bits);
        EXPECT_NE(finding.reason.find(c.reason), std::string::npos) << finding.reason;
    }
}

TEST_F(DkimNsd, TwoSignaturesOneBadEachReported) {
    const auto findings = verify("one_bad_of_two");
    ASSERT_EQ(findings.size(), 2u);
    // In header order: the one added last (a key that is not the signer's) is on top.
    expect_signature(findings[0], Outcome::fail, "wrong", "rsa-sha256", "1024");
    expect_signature(findings[1], Outcome::pass, "r2048", "rsa-sha256", "2048");
    EXPECT_NE(findings[0].attr("b"), findings[1].attr("b"));
}

TEST_F(DkimNsd, UnsignedMessageIsNone) {
    const auto finding = only_finding("unsigned");
    EXPECT_EQ(finding.outcome, Outcome::none);
    EXPECT_EQ(finding.attr("auth_results"), "dkim=none");
    EXPECT_EQ(filter_->counters().key_lookups.load(), 0u);
}

// l= (RFC 6376 §3.5): only that many canonical body octets are signed. Text
// appended past them still passes (as with libopendkim; §8.2 is the reason
// policy may distrust l=); a body shorter than l= fails.
TEST_F(DkimNsd, BodyLengthLimit) {
    expect_signature(only_finding("length_limited"), Outcome::pass, "r2048", "rsa-sha256", "2048");
    expect_signature(only_finding("length_limited_appended"), Outcome::pass, "r2048", "rsa-sha256", "2048");
    const auto cut = only_finding("length_limited_cut");
    expect_signature(cut, Outcome::fail, "r2048", "rsa-sha256", "2048");
    EXPECT_NE(cut.reason.find("l= is past the end of the body"), std::string::npos) << cut.reason;
}

// Two signatures hashing the body two ways (simple/sha256 for RSA, relaxed/sha256
// for Ed25519): one hasher each, both verified.
TEST_F(DkimNsd, SignaturesWithDifferentBodyCanonicalizationsBothPass) {
    const auto findings = verify("two_canonicalizations");
    ASSERT_EQ(findings.size(), 2u);
    expect_signature(findings[0], Outcome::pass, "ed", "ed25519-sha256", "256");
    expect_signature(findings[1], Outcome::pass, "r2048", "rsa-sha256", "2048");
}

// A key is decoded once per record: the second message with it reads the cache.
TEST_F(DkimNsd, KeyIsDecodedOncePerRecord) {
    EXPECT_EQ(only_finding("rsa2048_simple").outcome, Outcome::pass);
    EXPECT_EQ(only_finding("rsa1024_relaxed").outcome, Outcome::pass);
    EXPECT_EQ(filter_->key_cache().size(), 2u);
    EXPECT_EQ(only_finding("rsa2048_simple").outcome, Outcome::pass);
    EXPECT_EQ(filter_->key_cache().size(), 2u);
    config_.key_cache_entries = 0;  // no cache: every key decoded again, still verified
    filter_ = make_filter();
    EXPECT_EQ(only_finding("rsa2048_simple").outcome, Outcome::pass);
    EXPECT_EQ(filter_->key_cache().size(), 0u);
}

// Each filter has its own library handle: closing one leaves the other working.
TEST_F(DkimNsd, LibraryHandleIsPerFilter) {
    auto other = make_filter();
    ASSERT_TRUE(other->valid());
    other.reset();
    EXPECT_EQ(only_finding("rsa2048_simple").outcome, Outcome::pass);
    auto third = make_filter();
    filter_.reset();
    const auto findings = verify("ed25519", third.get());
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::pass);
}

}  // namespace
}  // namespace mxgate::filters::dkim
