#include "filters/greylist/rate_limit_filter.hpp"

#include "proxy/core/log.hpp"


namespace mxgate::filters::greylist {

namespace asio = boost::asio;

RateLimitFilter::RateLimitFilter(std::shared_ptr<const RateLimitConfig> config, std::shared_ptr<state::Store> store,
                                 Clock clock)
    : config_(std::move(config)), store_(std::move(store)), clock_(std::move(clock)) {}

bool RateLimitFilter::runs_at(core::Stage stage) const noexcept {
    return (stage == core::Stage::connect && config_->max_connections_per_window > 0) ||
           (stage == core::Stage::mail_from && config_->max_messages_per_window > 0);
}

asio::awaitable<std::vector<core::Finding>> RateLimitFilter::inspect(core::Stage stage, const TransactionView& view) {
    std::vector<core::Finding> out;
    if (!runs_at(stage)) co_return out;
    const RateLimitConfig& config = *config_;
    const bool connections = stage == core::Stage::connect;
    const std::string name = connections ? "ratelimit.connections" : "ratelimit.messages";
    const std::uint64_t limit = connections ? config.max_connections_per_window : config.max_messages_per_window;
    if (view.trusted) {
        ++counters_.skipped;
        out.push_back({name, core::Outcome::skipped, {{"skip", "trusted"}}, "trusted client"});
        co_return out;
    }
    if (!view.client_address) {  // nothing to count it under: all unknown clients are not one network
        ++counters_.skipped;
        out.push_back({name, core::Outcome::skipped, {{"skip", "unknown_client"}}, "client address unknown"});
        co_return out;
    }
    const std::string network = client_network(*view.client_address, config.ipv4_prefix, config.ipv6_prefix);
    const std::string key = std::string(connections ? "conn:" : "msg:") + network;
    auto count = co_await store_->increment(key, config.window, clock_());
    std::vector<std::pair<std::string, std::string>> attrs{
        {"limit", std::to_string(limit)}, {"window", std::to_string(config.window.count())}, {"network", network}};
    if (!count) {
        ++counters_.store_unavailable;
        log::warn(log::Line("ratelimit_store_unavailable").add("session", view.session_id)
                      .add("backend", store_->backend_name()).add("error", count.error().message())
                      .add("action", config.fail_open ? "pass" : "temperror"));
        attrs.emplace_back("store", "unavailable");
        out.push_back({name, config.fail_open ? core::Outcome::pass : core::Outcome::temperror, std::move(attrs),
                       count.error().message()});
        co_return out;
    }
    attrs.insert(attrs.begin(), {"count", std::to_string(*count)});
    const bool over = *count > limit;
    ++(over ? counters_.over_limit : counters_.passed);
    out.push_back({name, over ? core::Outcome::fail : core::Outcome::pass, std::move(attrs),
                   over ? "over the limit" : "under the limit"});
    co_return out;
}

void RateLimitFilter::report(MetricSink& sink) const {
    report_labeled(sink, "mxgate_ratelimit_total", "Rate-limit checks", "outcome",
                   {{"passed", counters_.passed}, {"over_limit", counters_.over_limit}, {"skipped", counters_.skipped}});
    sink.counter("mxgate_ratelimit_store_unavailable_total", "Checks the state store could not answer",
                 counters_.store_unavailable.load());
}

}  // namespace mxgate::filters::greylist
