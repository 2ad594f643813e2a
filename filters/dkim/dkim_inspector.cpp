#include "filters/dkim/dkim_inspector.hpp"

#include <charconv>
#include <cstring>

#include "filters/dkim/opendkim.hpp"

namespace mxgate::filters::dkim {

namespace asio = boost::asio;

namespace {

std::string text_of(const unsigned char* value) { return value ? std::string(reinterpret_cast<const char*>(value)) : ""; }

// libopendkim wants u_char*; it only reads (and copies) what it is given.
unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<unsigned char*>(const_cast<char*>(text.data()));
}

// The a= tag when it names an algorithm we know (RFC 6376 §3.3, RFC 8463 §3);
// a missing or unknown one stays "" (and the signature is invalid_signature).
std::string algorithm_of(DKIM_SIGINFO* signature) {
    const std::string a = text_of(dkim_sig_gettagvalue(signature, false, bytes("a")));
    for (const char* known : {"rsa-sha256", "rsa-sha1", "ed25519-sha256"})
        if (a == known) return a;
    return {};
}

std::string_view lookup_problem(dns::Status status) {
    return status == dns::Status::timeout ? "key lookup timed out" : "key lookup failed (servfail)";
}

// A tag's value without the folding whitespace the field may carry inside it.
std::string unfolded_tag(DKIM_SIGINFO* signature, const char* tag) {
    std::string value = text_of(dkim_sig_gettagvalue(signature, false, bytes(tag)));
    std::erase_if(value, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
    return value;
}

// The body hash this signature asks for (c= body part, the a= digest, l=);
// nullopt when the library parsed the field but we cannot hash its body.
std::optional<BodyHashSpec> body_hash_spec(DKIM_SIGINFO* signature, std::string_view algorithm) {
    BodyHashSpec spec;
    dkim_canon_t header_canon = DKIM_CANON_UNKNOWN;
    dkim_canon_t body_canon = DKIM_CANON_UNKNOWN;
    if (dkim_sig_getcanons(signature, &header_canon, &body_canon) != DKIM_STAT_OK) return std::nullopt;
    if (body_canon == DKIM_CANON_SIMPLE) spec.canonicalization = BodyCanonicalization::simple;
    else if (body_canon == DKIM_CANON_RELAXED) spec.canonicalization = BodyCanonicalization::relaxed;
    else return std::nullopt;
    if (algorithm == "rsa-sha1") spec.digest = DigestAlgorithm::sha1;
    else if (algorithm == "rsa-sha256" || algorithm == "ed25519-sha256") spec.digest = DigestAlgorithm::sha256;
    else return std::nullopt;
    const std::string length = unfolded_tag(signature, "l");
    if (!length.empty()) {
        std::uint64_t limit = 0;
        const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), limit);
        if (error != std::errc{} || end != length.data() + length.size()) return std::nullopt;
        spec.length_limit = limit;
    }
    return spec;
}


}  // namespace

DkimInspector::DkimInspector(dkim_lib* library, const DkimConfig& config, DkimCounters& counters, KeyCache& key_cache,
                             dns::Resolver& resolver, const asio::any_io_executor& executor, std::string job_id)
    : config_(config),
      counters_(counters),
      key_cache_(key_cache),
      job_id_(std::move(job_id)),
      keys_(resolver, executor, config.timeout) {
    ++counters_.messages;
    if (library == nullptr) {
        library_error_ = "libopendkim could not be set up";
        return;
    }
    DKIM_STAT status = DKIM_STAT_OK;
    handle_ = dkim_verify(library, bytes(job_id_), nullptr, &status);
    if (handle_ == nullptr) {
        library_error_ = "dkim_verify: " + std::string(dkim_getresultstr(status));
        return;
    }
}

DkimInspector::~DkimInspector() {
    if (handle_ != nullptr) dkim_free(handle_);
}

void DkimInspector::header_field(std::string_view field) {
    if (handle_ == nullptr || header_done_) return;
    // The library adds the CRLF that ends the field itself.
    if (field.size() >= 2 && field.substr(field.size() - 2) == "\r\n") field.remove_suffix(2);
    if (field.empty()) return;
    // A field the library refuses (a name with controls or ';') is left out of
    // verification; a signature covering it then fails, as it should.
    (void)dkim_header(handle_, bytes(field), field.size());
}

void DkimInspector::end_of_header() {
    if (header_done_) return;
    header_done_ = true;
    if (handle_ == nullptr) return;
    const DKIM_STAT status = dkim_eoh(handle_);
    if (status == DKIM_STAT_NOSIG) return;
    if (status != DKIM_STAT_OK) {
        library_error_ = "dkim_eoh: " + std::string(dkim_getresultstr(status));
        return;
    }
    signed_ = true;
    DKIM_SIGINFO** signatures = nullptr;
    int count = 0;
    if (dkim_getsiglist(handle_, &signatures, &count) != DKIM_STAT_OK) return;
    keys_.begin();
    for (int i = 0; i < count; ++i) {
        // The library only parses: no signature reaches its key lookup and verification.
        dkim_sig_ignore(signatures[i]);
        if (i >= config_.max_signatures) continue;  // neither a key lookup nor a verification
        Signature signature{signatures[i], dkim_sig_geterror(signatures[i]), std::nullopt};
        // A field that does not parse (DKIM_SIGERROR_*) needs no key and no body hash.
        if (signature.parse_error == DKIM_SIGERROR_UNKNOWN) {
            signature.hasher = hasher_for(signatures[i]);
            const auto name = key_query_name(text_of(dkim_sig_getselector(signatures[i])),
                                             text_of(dkim_sig_getdomain(signatures[i])));
            if (name && signature.hasher) keys_.start(*name);
        }
        signatures_.push_back(signature);
    }
    counters_.key_lookups += keys_.asked();
}

std::optional<std::size_t> DkimInspector::hasher_for(DKIM_SIGINFO* signature) {
    const auto spec = body_hash_spec(signature, algorithm_of(signature));
    if (!spec) return std::nullopt;
    for (std::size_t i = 0; i < hashers_.size(); ++i)
        if (hashers_[i].spec() == *spec) return i;
    hashers_.emplace_back(*spec);
    return hashers_.size() - 1;
}

void DkimInspector::body(std::string_view chunk) {
    for (auto& hasher : hashers_) hasher.feed(chunk);
}

asio::awaitable<std::vector<core::Finding>> DkimInspector::finish(const TransactionView&) {
    if (!header_done_) end_of_header();  // a message without a header/body split
    const bool all_answered_or_late = co_await keys_.wait_all();
    if (!all_answered_or_late) co_return std::vector<core::Finding>{};  // the caller gave up
    std::vector<core::Finding> out = findings();
    count(out);
    co_return out;
}

std::vector<core::Finding> DkimInspector::findings() {
    if (!library_error_.empty()) return {message_error(core::Outcome::temperror, library_error_)};
    if (!signed_) return {unsigned_finding()};
    // Finishes the header hashes; it verifies nothing, every signature being ignored.
    (void)dkim_eom(handle_, nullptr);
    DKIM_SIGINFO** signatures = nullptr;
    int count = 0;
    if (dkim_getsiglist(handle_, &signatures, &count) != DKIM_STAT_OK || count == 0)
        return {message_error(core::Outcome::permerror, "no signature list")};
    std::vector<BodyHasher::Result> bodies;
    bodies.reserve(hashers_.size());
    for (auto& hasher : hashers_) bodies.push_back(hasher.finish());
    std::vector<core::Finding> out;
    for (const auto& signature : signatures_) out.push_back(signature_finding(facts_of(signature, bodies), config_));
    if (count > config_.max_signatures) {
        const auto skipped = static_cast<std::size_t>(count - config_.max_signatures);
        counters_.not_evaluated += skipped;
        out.push_back(not_evaluated_finding(skipped, config_.max_signatures));
    }
    return out;
}

SignatureFacts DkimInspector::facts_of(const Signature& signature,
                                       const std::vector<BodyHasher::Result>& bodies) const {
    DKIM_SIGINFO* const field = signature.library_view;
    SignatureFacts facts;
    facts.domain = text_of(dkim_sig_getdomain(field));
    facts.selector = text_of(dkim_sig_getselector(field));
    facts.algorithm = algorithm_of(field);
    facts.rsa = facts.algorithm.rfind("rsa-", 0) == 0;
    char b[65] = {};
    std::size_t b_length = sizeof b - 1;
    if (dkim_get_sigsubstring(handle_, field, b, &b_length) == DKIM_STAT_OK) facts.b.assign(b, strnlen(b, b_length));
    if (signature.parse_error != DKIM_SIGERROR_UNKNOWN) {
        // dkim_eoh() only parses: its errors are the field's (syntax, expiry, i= outside d=, ...).
        facts.verification = Verification::invalid_signature;
        facts.detail = dkim_sig_geterrorstr(signature.parse_error);
    } else if (!signature.hasher) {
        facts.verification = Verification::invalid_signature;
        facts.detail = "unknown body canonicalization, algorithm or l=";
    } else {
        check(signature, bodies, facts);
    }
    return facts;
}

// RFC 6376 §6.1.2-6.1.3 in the order libopendkim kept: the key, the signature
// over the header hash, then the body hash.
void DkimInspector::check(const Signature& signature, const std::vector<BodyHasher::Result>& bodies,
                          SignatureFacts& facts) const {
    DKIM_SIGINFO* const field = signature.library_view;
    const auto name = key_query_name(facts.selector, facts.domain);
    const KeyAnswer answer = name ? keys_.answer(*name) : KeyAnswer{dns::Status::nxdomain, {}};
    switch (answer.status) {
        case dns::Status::ok: break;
        case dns::Status::nxdomain:
        case dns::Status::nodata:
            facts.verification = Verification::no_key;
            facts.detail = name ? "no key record in DNS" : "s= or d= is no DNS name";
            return;
        case dns::Status::servfail:
        case dns::Status::timeout:
            facts.verification = Verification::key_unavailable;
            facts.detail = lookup_problem(answer.status);
            return;
    }
    const auto entry = key_cache_.get(answer.record);
    if (const auto* problem = std::get_if<KeyProblem>(entry.get())) {
        facts.verification = problem->verification;
        facts.detail = problem->detail;
        return;
    }
    const auto& key = std::get<PublicKey>(*entry);
    if (auto misfit = key_fits(key, facts.algorithm, facts.domain, unfolded_tag(field, "i"))) {
        facts.verification = misfit->verification;
        facts.detail = std::move(misfit->detail);
        return;
    }
    facts.key_bits = key.bits;
    void* header_hash = nullptr;
    std::size_t header_hash_length = 0;
    void* unused_body_hash = nullptr;
    std::size_t unused_body_hash_length = 0;
    if (dkim_sig_gethashes(field, &header_hash, &header_hash_length, &unused_body_hash, &unused_body_hash_length) !=
        DKIM_STAT_OK) {
        facts.verification = Verification::invalid_signature;
        facts.detail = "no header hash";
        return;
    }
    const std::span<const unsigned char> hash(static_cast<const unsigned char*>(header_hash), header_hash_length);
    if (!signature_matches(key, facts.algorithm, hash, unfolded_tag(field, "b"))) {
        facts.verification = Verification::bad_signature;
        return;
    }
    const BodyHasher::Result& body = bodies.at(*signature.hasher);
    const auto& limit = hashers_.at(*signature.hasher).spec().length_limit;
    if (body.digest.empty()) {  // OpenSSL failed: nothing was judged, so a temporary error
        facts.verification = Verification::key_unavailable;
        facts.detail = "body hash not computed";
    } else if (limit && body.canonical_length < *limit) {
        facts.verification = Verification::body_changed;
        facts.detail = "l= is past the end of the body";
    } else if (const auto claimed = decode_base64(text_of(dkim_sig_gettagvalue(field, false, bytes("bh"))));
               !claimed || std::string_view(reinterpret_cast<const char*>(claimed->data()), claimed->size()) !=
                               body.digest) {
        facts.verification = Verification::body_changed;
    } else {
        facts.verification = Verification::verified;
    }
}

core::Finding DkimInspector::message_error(core::Outcome outcome, std::string reason) const {
    SignatureFacts none;
    return core::Finding{"dkim",
                         outcome,
                         {{"auth_results", dkim_resinfo(outcome, "message not verifiable", none)}},
                         "dkim " + std::string(core::to_string(outcome)) + ": " + std::move(reason)};
}

void DkimInspector::count(const std::vector<core::Finding>& findings) {
    for (const auto& finding : findings) {
        switch (finding.outcome) {
            case core::Outcome::pass: ++counters_.pass; break;
            case core::Outcome::fail: ++counters_.fail; break;
            case core::Outcome::neutral: ++counters_.neutral; break;
            case core::Outcome::policy: ++counters_.policy; break;
            case core::Outcome::temperror: ++counters_.temperror; break;
            case core::Outcome::permerror: ++counters_.permerror; break;
            case core::Outcome::none: ++counters_.none; break;
            default: continue;  // the not-evaluated summary, counted above
        }
        if (finding.outcome != core::Outcome::none) ++counters_.signatures;
    }
}

}  // namespace mxgate::filters::dkim
