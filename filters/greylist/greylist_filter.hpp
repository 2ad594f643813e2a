// GreylistFilter: greylisting at RCPT (RFC 6647) over the shared state store.
// Emits one Finding named "greylist" per recipient (docs/state.md lists them):
//   pass      known triplet, retry after the delay, or auto-allowed network+domain
//             (attr via=triplet|auto_allow); also a fail-open pass (attr store=unavailable)
//   softfail  deferred: attr retry_after=<seconds>; rule "greylist.defer" answers 451 4.7.1
//   skipped   trusted or unknown client, allow-list or SPF pass (attr skip=<reason>)
//   temperror the store was unavailable and fail_open is off, or the stage deadline
//             passed (timed_out(), which "greylist.fail_open" lets proceed)
// Never answers the client and never throws for a store failure.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "filters/filter.hpp"
#include "filters/greylist/greylist_config.hpp"
#include "filters/greylist/greylist_logic.hpp"
#include "filters/state/store.hpp"

namespace mxgate::filters::greylist {

using Clock = std::function<TimePoint()>;
using state::system_now;

// True when `findings` hold an SPF pass for MAIL FROM (Finding "spf", outcome pass).
bool spf_passed(const std::vector<core::Finding>& findings);

struct GreylistCounters {  // mxgate_greylist_<name>_total
    std::atomic<std::uint64_t> skipped{0}, passed{0}, auto_allowed{0}, deferred{0}, store_unavailable{0};
};

class GreylistFilter final : public Filter {
public:
    // Whether the view shows an SPF pass for MAIL FROM; the registry reads
    // spf_passed() from view.findings (the mail_from stage ran before rcpt).
    // Not given: never an SPF pass.
    using SpfPass = std::function<bool(const TransactionView&)>;

    GreylistFilter(std::shared_ptr<const GreylistConfig> config, std::shared_ptr<state::Store> store,
                   Clock clock = system_now, SpfPass spf_pass = {});

    std::string_view name() const noexcept override { return "greylist"; }
    bool runs_at(core::Stage stage) const noexcept override { return stage == core::Stage::rcpt; }
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage stage, const TransactionView& view) override;
    void report(MetricSink& sink) const override;

    // The whole check for one recipient; inspect() builds the request from the view.
    boost::asio::awaitable<core::Finding> check(const GreylistRequest& request);
    const GreylistCounters& counters() const noexcept { return counters_; }

private:
    boost::asio::awaitable<core::Finding> check_at(const GreylistRequest& request, TimePoint now);
    boost::asio::awaitable<void> count_auto_allow(const std::string& key, TimePoint now);
    core::Finding unavailable(std::string_view op, const boost::system::error_code& ec);

    std::shared_ptr<const GreylistConfig> config_;
    std::shared_ptr<state::Store> store_;
    Clock clock_;
    SpfPass spf_pass_;
    GreylistCounters counters_;
};

}  // namespace mxgate::filters::greylist
