// RateLimitFilter: connections (Stage::connect) and messages (Stage::mail_from)
// per client network per fixed window, counted in the shared state store so a
// fleet behind one load balancer counts together. Emits:
//   "ratelimit.connections" / "ratelimit.messages"
//   pass      under the limit; fail: over it (rules "rate_limit.connections" 421 4.7.0
//             and "rate_limit.messages" 451 4.7.0, greylist_registration.hpp)
//   skipped   trusted client; temperror: store unavailable and fail_open off
//   attrs     count, limit, window (seconds), network; store=unavailable on fail-open
// Lives beside greylisting because it shares its store and key rules.
#pragma once

#include <atomic>
#include <memory>

#include "filters/filter.hpp"
#include "filters/greylist/greylist_config.hpp"
#include "filters/greylist/greylist_filter.hpp"
#include "filters/state/store.hpp"

namespace mxgate::filters::greylist {

struct RateLimitCounters {  // mxgate_ratelimit_<name>_total
    std::atomic<std::uint64_t> passed{0}, over_limit{0}, skipped{0}, store_unavailable{0};
};

class RateLimitFilter final : public Filter {
public:
    RateLimitFilter(std::shared_ptr<const RateLimitConfig> config, std::shared_ptr<state::Store> store,
                    Clock clock = system_now);

    std::string_view name() const noexcept override { return "rate_limit"; }  // its registry key: policy `skip:` names it so
    bool runs_at(core::Stage stage) const noexcept override;
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage stage, const TransactionView& view) override;
    void report(MetricSink& sink) const override;
    const RateLimitCounters& counters() const noexcept { return counters_; }

private:
    std::shared_ptr<const RateLimitConfig> config_;
    std::shared_ptr<state::Store> store_;
    Clock clock_;
    RateLimitCounters counters_;
};

}  // namespace mxgate::filters::greylist
