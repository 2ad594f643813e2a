// DkimInspector: one message's DKIM verification, fed as the message streams.
// libopendkim parses the DKIM-Signature fields and canonicalizes and hashes the
// header; mxgate does the rest, because the library's two other steps are its
// slow ones (docs/filters.md "DKIM", docs/performance.md): the body is hashed by
// BodyHasher as it streams (one hasher per distinct c=/a=/l=), and each key
// record is decoded once and kept in the filter's KeyCache. At the end of the
// header section the key lookups of the first max_signatures signatures start
// at once (KeyFetcher); finish() awaits them, lets dkim_eom() finish the header
// hashes, and checks each signature over its header hash. Every signature is
// marked ignored in the library, so it never looks up or decodes a key itself.
// Library and DNS trouble become findings.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "filters/dkim/body_hash.hpp"
#include "filters/dkim/dkim_config.hpp"
#include "filters/dkim/dkim_filter.hpp"
#include "filters/dkim/dkim_key.hpp"
#include "filters/dkim/dkim_key_fetch.hpp"
#include "filters/dkim/dkim_result.hpp"
#include "filters/filter.hpp"

struct dkim;          // libopendkim's DKIM (one message)
struct dkim_siginfo;  // libopendkim's DKIM_SIGINFO (one signature)

namespace mxgate::filters::dkim {

class DkimInspector final : public MessageInspector {
public:
    // `library` null: every message reports temperror (the library failed to start).
    DkimInspector(dkim_lib* library, const DkimConfig& config, DkimCounters& counters, KeyCache& key_cache,
                  dns::Resolver& resolver, const boost::asio::any_io_executor& executor, std::string job_id);
    ~DkimInspector() override;
    DkimInspector(const DkimInspector&) = delete;
    DkimInspector& operator=(const DkimInspector&) = delete;

    void header_field(std::string_view field) override;
    void end_of_header() override;
    void body(std::string_view chunk) override;
    boost::asio::awaitable<std::vector<core::Finding>> finish(const TransactionView& view) override;

    std::size_t key_lookups() const { return keys_.asked(); }

private:
    // One of the first max_signatures signatures, as the header left it.
    struct Signature {
        dkim_siginfo* library_view = nullptr;
        int parse_error = 0;               // libopendkim's DKIM_SIGERROR_* after dkim_eoh()
        std::optional<std::size_t> hasher; // index in hashers_; none when c= or a= is unusable
    };

    std::vector<core::Finding> findings();
    SignatureFacts facts_of(const Signature& signature, const std::vector<BodyHasher::Result>& bodies) const;
    void check(const Signature& signature, const std::vector<BodyHasher::Result>& bodies, SignatureFacts& facts) const;
    std::optional<std::size_t> hasher_for(dkim_siginfo* signature);
    core::Finding message_error(core::Outcome outcome, std::string reason) const;
    void count(const std::vector<core::Finding>& findings);

    const DkimConfig& config_;
    DkimCounters& counters_;
    KeyCache& key_cache_;
    std::string job_id_;  // libopendkim keeps a pointer to it
    ::dkim* handle_ = nullptr;
    KeyFetcher keys_;
    std::vector<Signature> signatures_;
    std::vector<BodyHasher> hashers_;  // usually one: signatures of one message mostly share c= and a=
    bool header_done_ = false;
    bool signed_ = false;        // dkim_eoh() found signatures
    std::string library_error_;  // why the library cannot verify this message, when it cannot
};

}  // namespace mxgate::filters::dkim
