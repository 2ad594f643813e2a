// DkimInspector: one message's DKIM verification, fed as the message streams.
// Header fields go to libopendkim as they arrive; at the end of the header
// section the library has parsed the DKIM-Signature fields, and the key lookups
// of the first max_signatures of them start at once (KeyFetcher). The body is
// hashed as it streams. finish() awaits the lookups and runs dkim_eom(), whose
// key-lookup callback reads only the answers already fetched: the library
// never blocks a thread on DNS. Library and DNS trouble become findings.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "filters/dkim/dkim_config.hpp"
#include "filters/dkim/dkim_filter.hpp"
#include "filters/dkim/dkim_key_fetch.hpp"
#include "filters/dkim/dkim_result.hpp"
#include "filters/filter.hpp"

struct dkim;          // libopendkim's DKIM (one message)
struct dkim_siginfo;  // libopendkim's DKIM_SIGINFO (one signature)

namespace mxgate::filters::dkim {

class DkimInspector final : public MessageInspector {
public:
    // `library` null: every message reports temperror (the library failed to start).
    DkimInspector(dkim_lib* library, const DkimConfig& config, DkimCounters& counters, dns::Resolver& resolver,
                  const boost::asio::any_io_executor& executor, std::string job_id);
    ~DkimInspector() override;
    DkimInspector(const DkimInspector&) = delete;
    DkimInspector& operator=(const DkimInspector&) = delete;

    void header_field(std::string_view field) override;
    void end_of_header() override;
    void body(std::string_view chunk) override;
    boost::asio::awaitable<std::vector<core::Finding>> finish(const TransactionView& view) override;

    std::size_t key_lookups() const { return keys_.asked(); }

    // The key-lookup callback libopendkim calls from dkim_eom() (C linkage shape).
    static int lookup_key(::dkim* handle, dkim_siginfo* signature, unsigned char* buffer, std::size_t length);

private:
    std::vector<core::Finding> findings();
    SignatureFacts facts_of(dkim_siginfo* signature) const;
    core::Finding message_error(core::Outcome outcome, std::string reason) const;
    void count(const std::vector<core::Finding>& findings);

    const DkimConfig& config_;
    DkimCounters& counters_;
    std::string job_id_;  // libopendkim keeps a pointer to it
    ::dkim* handle_ = nullptr;
    KeyFetcher keys_;
    bool header_done_ = false;
    bool signed_ = false;        // dkim_eoh() found signatures
    std::string library_error_;  // why the library cannot verify this message, when it cannot
};

}  // namespace mxgate::filters::dkim
