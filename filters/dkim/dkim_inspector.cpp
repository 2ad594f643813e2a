#include "filters/dkim/dkim_inspector.hpp"

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

// What the library's signature error says about how far verification got.
Verification verification_of(int error) {
    switch (error) {
        case DKIM_SIGERROR_BADSIG: return Verification::bad_signature;
        case DKIM_SIGERROR_TOOLARGE_L: return Verification::body_changed;
        case DKIM_SIGERROR_NOKEY: return Verification::no_key;
        case DKIM_SIGERROR_KEYREVOKED: return Verification::key_revoked;
        case DKIM_SIGERROR_KEYFAIL: return Verification::key_unavailable;
        case DKIM_SIGERROR_DNSSYNTAX:
        case DKIM_SIGERROR_MULTIREPLY:
        case DKIM_SIGERROR_KEYVERSION:
        case DKIM_SIGERROR_KEYUNKNOWNHASH:
        case DKIM_SIGERROR_KEYHASHMISMATCH:
        case DKIM_SIGERROR_NOTEMAILKEY:
        case DKIM_SIGERROR_KEYTYPEMISSING:
        case DKIM_SIGERROR_KEYTYPEUNKNOWN:
        case DKIM_SIGERROR_KEYDECODE:
        case DKIM_SIGERROR_KEYTOOSMALL: return Verification::key_invalid;
        default: return Verification::invalid_signature;  // syntax, expiry, i= outside d=, ...
    }
}

std::string_view lookup_problem(dns::Status status) {
    return status == dns::Status::timeout ? "key lookup timed out" : "key lookup failed (servfail)";
}

}  // namespace

DkimInspector::DkimInspector(dkim_lib* library, const DkimConfig& config, DkimCounters& counters,
                             dns::Resolver& resolver, const asio::any_io_executor& executor, std::string job_id)
    : config_(config),
      counters_(counters),
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
    dkim_set_user_context(handle_, this);
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
        if (i >= config_.max_signatures) {
            dkim_sig_ignore(signatures[i]);  // neither a key lookup nor a verification
            continue;
        }
        // A field that does not parse (DKIM_SIGERROR_*) needs no key.
        if (dkim_sig_geterror(signatures[i]) != DKIM_SIGERROR_UNKNOWN) continue;
        const auto name = key_query_name(text_of(dkim_sig_getselector(signatures[i])),
                                         text_of(dkim_sig_getdomain(signatures[i])));
        if (name) keys_.start(*name);
    }
    counters_.key_lookups += keys_.asked();
}

void DkimInspector::body(std::string_view chunk) {
    if (handle_ == nullptr || !signed_ || !library_error_.empty() || chunk.empty()) return;
    (void)dkim_body(handle_, bytes(chunk), chunk.size());
}

asio::awaitable<std::vector<core::Finding>> DkimInspector::finish(const TransactionView&) {
    if (!header_done_) end_of_header();  // a message without a header/body split
    const bool all_answered_or_late = co_await keys_.wait_all();
    if (!all_answered_or_late) co_return std::vector<core::Finding>{};  // the caller gave up
    std::vector<core::Finding> out = findings();
    count(out);
    co_return out;
}

// Never returns DKIM_CBSTAT_DEFAULT: that would make the library ask DNS itself.
int DkimInspector::lookup_key(::dkim* handle, dkim_siginfo* signature, unsigned char* buffer, std::size_t length) {
    auto* self = static_cast<DkimInspector*>(dkim_get_user_context(handle));
    const auto name = key_query_name(text_of(dkim_sig_getselector(signature)), text_of(dkim_sig_getdomain(signature)));
    if (self == nullptr || !name) return DKIM_CBSTAT_NOTFOUND;
    const KeyAnswer answer = self->keys_.answer(*name);
    switch (answer.status) {
        case dns::Status::ok: break;
        case dns::Status::nxdomain:
        case dns::Status::nodata: return DKIM_CBSTAT_NOTFOUND;
        case dns::Status::servfail:
        case dns::Status::timeout: return DKIM_CBSTAT_TRYAGAIN;  // facts_of() reports it from the answer
    }
    // A record longer than the library's buffer is no key it could use.
    if (answer.record.empty() || answer.record.size() >= length) return DKIM_CBSTAT_NOTFOUND;
    std::memcpy(buffer, answer.record.data(), answer.record.size());
    buffer[answer.record.size()] = '\0';
    return DKIM_CBSTAT_CONTINUE;
}

std::vector<core::Finding> DkimInspector::findings() {
    if (!library_error_.empty()) return {message_error(core::Outcome::temperror, library_error_)};
    if (!signed_) return {unsigned_finding()};
    // Only memory is read from here on: every key was fetched before.
    (void)dkim_eom(handle_, nullptr);
    DKIM_SIGINFO** signatures = nullptr;
    int count = 0;
    if (dkim_getsiglist(handle_, &signatures, &count) != DKIM_STAT_OK || count == 0)
        return {message_error(core::Outcome::permerror, "no signature list")};
    std::vector<core::Finding> out;
    for (int i = 0; i < count && i < config_.max_signatures; ++i)
        out.push_back(signature_finding(facts_of(signatures[i]), config_));
    if (count > config_.max_signatures) {
        const auto skipped = static_cast<std::size_t>(count - config_.max_signatures);
        counters_.not_evaluated += skipped;
        out.push_back(not_evaluated_finding(skipped, config_.max_signatures));
    }
    return out;
}

SignatureFacts DkimInspector::facts_of(DKIM_SIGINFO* signature) const {
    SignatureFacts facts;
    facts.domain = text_of(dkim_sig_getdomain(signature));
    facts.selector = text_of(dkim_sig_getselector(signature));
    facts.algorithm = algorithm_of(signature);
    facts.rsa = facts.algorithm.rfind("rsa-", 0) == 0;
    char b[65] = {};
    std::size_t b_length = sizeof b - 1;
    if (dkim_get_sigsubstring(handle_, signature, b, &b_length) == DKIM_STAT_OK) facts.b.assign(b, strnlen(b, b_length));
    unsigned int bits = 0;
    if (dkim_sig_getkeysize(signature, &bits) == DKIM_STAT_OK)  // DKIM_STAT_INVALID: no key was loaded
        facts.key_bits = bits;

    const int error = dkim_sig_geterror(signature);
    const unsigned flags = dkim_sig_getflags(signature);
    const int body_hash = dkim_sig_getbh(signature);
    if (body_hash == DKIM_SIGBH_MISMATCH && (error == DKIM_SIGERROR_BADSIG || error == DKIM_SIGERROR_OK ||
                                             error == DKIM_SIGERROR_UNKNOWN)) {
        facts.verification = Verification::body_changed;  // the library calls it a bad signature too
    } else if (error != DKIM_SIGERROR_UNKNOWN && error != DKIM_SIGERROR_OK) {
        facts.verification = verification_of(error);
        facts.detail = dkim_sig_geterrorstr(error);
    } else if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
        // Not verified: the key could not be fetched (the callback said try again).
        const auto name = key_query_name(facts.selector, facts.domain);
        const dns::Status lookup = name ? keys_.answer(*name).status : dns::Status::nxdomain;
        if (lookup == dns::Status::servfail || lookup == dns::Status::timeout) {
            facts.verification = Verification::key_unavailable;
            facts.detail = lookup_problem(lookup);
        } else {
            facts.verification = Verification::key_invalid;
            facts.detail = "key not usable";
        }
    } else if ((flags & DKIM_SIGFLAG_PASSED) != 0 && body_hash == DKIM_SIGBH_MATCH) {
        facts.verification = Verification::verified;
    } else {
        facts.verification = Verification::bad_signature;
    }
    // RFC 8463 §3: an Ed25519 key is 256 bits; libopendkim reports 0 for it.
    const bool key_used = facts.verification == Verification::verified ||
                          facts.verification == Verification::bad_signature ||
                          facts.verification == Verification::body_changed;
    if (facts.algorithm == "ed25519-sha256" && facts.key_bits == 0 && key_used) facts.key_bits = 256;
    return facts;
}

core::Finding DkimInspector::message_error(core::Outcome outcome, std::string reason) const {
    SignatureFacts none;
    return core::Finding{"dkim",
                         outcome,
                         {{"auth_results", dkim_resinfo(outcome, "message not verifiable", none)}, {"action", "proceed"}},
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
