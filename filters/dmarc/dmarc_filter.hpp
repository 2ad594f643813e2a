// DmarcFilter: DMARC (RFC 7489) at the end of DATA, on DmarcEvaluator. Its
// inspector reads the From: field as the header arrives and starts the policy
// lookups at once on the session's executor; finish() aligns the From: domains
// with what SPF and DKIM authenticated (their findings, earlier in the registry).
// Emits one Finding named "dmarc" (docs/filters.md "DMARC"):
//   outcome  pass|fail|none|temperror|permerror
//   attrs    header_from (the From: domain decided on), shown_domain (it made
//            printable and short, for the replies), policy (p= or sp= applied;
//            absent without a record), disposition (none|quarantine|reject),
//            policy_domain, spf_aligned/dkim_aligned (yes|no), sampled_out=yes
//            (pct= spared it), domains (all From: domains, when several),
//            error (no_from|multiple_from|malformed_from; timeout from timed_out()),
//            auth_results ("dmarc=pass header.from=example.org")
// DmarcConfig's on_* settings are default rules (dmarc_registration.hpp).
// With record_reports, finish() prepares an aggregate-report row (dmarc_report.hpp)
// and concluded() appends it, with the disposition the verdict applied, to the
// state store's "dmarc" stream, without waiting for it (no row for a deferred message).
// Never answers the client and never throws for DNS trouble.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "filters/dmarc/dmarc_config.hpp"
#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dns/resolver.hpp"
#include "filters/filter.hpp"
#include "filters/state/store.hpp"

namespace mxgate::filters::dmarc {

struct DmarcCounters {  // mxgate_dmarc_<result>_total, mxgate_dmarc_{bad_from,skipped,report_rows,report_row_errors}_total
    std::array<std::atomic<std::uint64_t>, 5> results{};  // by DmarcResult
    std::atomic<std::uint64_t> bad_from{0};               // none, several or a malformed From:
    std::atomic<std::uint64_t> skipped{0};                // trusted clients
    std::atomic<std::uint64_t> report_rows{0};            // aggregate-report rows stored
    std::atomic<std::uint64_t> report_row_errors{0};      // ... the store could not take
    std::uint64_t result(DmarcResult r) const { return results[static_cast<std::size_t>(r)].load(); }
};

class DmarcFilter final : public Filter {
public:
    // `suffixes` is never null: settings_check() loaded the list (dmarc_registration.cpp).
    // `store` (null = none): where aggregate-report rows go (record_reports).
    DmarcFilter(std::shared_ptr<const DmarcConfig> config, dns::Resolver& resolver,
                std::shared_ptr<const PublicSuffixList> suffixes, std::uint64_t seed,
                std::shared_ptr<state::Store> store = nullptr);

    std::string_view name() const noexcept override { return "dmarc"; }
    bool runs_at(core::Stage) const noexcept override { return false; }  // content only
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const TransactionView&) override;
    // nullptr for a trusted client (skip_trusted).
    std::unique_ptr<MessageInspector> inspect_message(const TransactionView& view,
                                                      const boost::asio::any_io_executor& executor) override;
    // A temperror with error=timeout: "dmarc.on_temperror" answers it too.
    std::vector<core::Finding> timed_out(core::Stage stage) const override;
    void report(MetricSink& sink) const override;

    const DmarcConfig& config() const noexcept { return *config_; }
    const DmarcCounters& counters() const noexcept { return *counters_; }

    // The Finding for the verdicts of a From: field's domains (pure): the strictest
    // failing one decides (issue 11 item 6).
    static core::Finding to_finding(const std::vector<DomainVerdict>& verdicts);
    // The Finding for a From: that cannot be evaluated: `error` is no_from,
    // multiple_from or malformed_from.
    static core::Finding bad_from_finding(std::string_view error, std::string reason);

private:
    std::shared_ptr<const DmarcConfig> config_;
    std::shared_ptr<const DmarcEvaluator> evaluator_;  // shared with lookups still unwinding
    std::shared_ptr<DmarcCounters> counters_;
    std::shared_ptr<state::Store> store_;
};

}  // namespace mxgate::filters::dmarc
