// DkimFilter: DKIM verification (RFC 6376, RFC 8301, RFC 8463) of the message
// content, as a content filter (filters/filter.hpp, MessageInspector):
// libopendkim parses the signatures and hashes the header, mxgate hashes the
// body and checks the keys (dkim_inspector.hpp). Each filter owns its libopendkim
// library handle, set up so the library never asks DNS itself (keys come from
// mxgate's resolver), and its cache of decoded keys. Findings: one "dkim" per
// signature, "dkim" none for an unsigned message (docs/filters.md "DKIM").
// Never refuses a message and never throws for DNS or message trouble.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "filters/dkim/dkim_config.hpp"
#include "filters/dkim/dkim_key.hpp"
#include "filters/dns/resolver.hpp"
#include "filters/filter.hpp"

struct dkim_lib;  // libopendkim's DKIM_LIB

namespace mxgate::filters::dkim {

// mxgate_dkim_<name>_total
struct DkimCounters {
    std::atomic<std::uint64_t> messages{0};
    std::atomic<std::uint64_t> signatures{0};       // verified (not counting those past max_signatures)
    std::atomic<std::uint64_t> key_lookups{0};
    std::atomic<std::uint64_t> not_evaluated{0};    // signatures past max_signatures
    std::atomic<std::uint64_t> pass{0}, fail{0}, neutral{0}, policy{0}, temperror{0}, permerror{0}, none{0};
};

class DkimFilter final : public Filter {
public:
    // `resolver` must outlive the filter. A library that cannot be set up gives
    // inspectors that report temperror (valid() says so).
    DkimFilter(std::shared_ptr<const DkimConfig> config, dns::Resolver& resolver);
    ~DkimFilter() override;
    DkimFilter(const DkimFilter&) = delete;
    DkimFilter& operator=(const DkimFilter&) = delete;

    std::string_view name() const noexcept override { return "dkim"; }
    // A content filter only: it works through inspect_message().
    bool runs_at(core::Stage) const noexcept override { return false; }
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const TransactionView&) override;
    std::unique_ptr<MessageInspector> inspect_message(const TransactionView& view,
                                                      const boost::asio::any_io_executor& executor) override;
    void report(MetricSink& sink) const override;

    bool valid() const noexcept { return library_ != nullptr; }
    const DkimConfig& config() const noexcept { return *config_; }
    const DkimCounters& counters() const noexcept { return counters_; }
    const KeyCache& key_cache() const noexcept { return key_cache_; }

private:
    std::shared_ptr<const DkimConfig> config_;
    dns::Resolver& resolver_;
    dkim_lib* library_ = nullptr;
    KeyCache key_cache_;  // shared by the workers' inspectors (it locks)
    DkimCounters counters_;
};

}  // namespace mxgate::filters::dkim
