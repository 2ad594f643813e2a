#include "proxy/policy_watch.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "policy/rules/compiled_policy.hpp"
#include "proxy/log.hpp"

namespace mxgate {

namespace asio = boost::asio;

std::string first_changed(const std::vector<core::FileStamp>& built_from, const std::vector<core::FileStamp>& now) {
    for (std::size_t i = 0; i < now.size(); ++i)
        if (i >= built_from.size() || !(now[i] == built_from[i])) return now[i].path;
    return {};
}

std::vector<core::FileStamp> policy_file_stamps(const config::Config& config) {
    if (!config.policy.compiled) return {};
    return core::stamp_files(config.policy.compiled->sources);
}

asio::awaitable<void> watch_policy(PolicyWatch& watch, std::function<std::shared_ptr<const config::Config>()> current,
                                   std::function<void(const std::string& reason)> reload) {
    // With watch_interval 0 nothing is stat()ed; the loop only looks again whether
    // a reload has turned watching on.
    constexpr config::Duration idle_recheck = std::chrono::seconds(1);
    asio::steady_timer tick(co_await asio::this_coro::executor);
    for (;;) {
        const auto in_force = current();
        const config::Policy& policy = in_force->policy;
        if (policy.watch_interval != config::Duration::zero()) {
            const auto now = policy_file_stamps(*in_force);
            if (watch.should_reload(policy.stamps, now)) {
                log::info(log::Line("policy_changed").add("file", first_changed(policy.stamps, now)));
                reload("policy_changed");
            }
        }
        const auto interval = current()->policy.watch_interval;
        tick.expires_after(interval == config::Duration::zero() ? idle_recheck : interval);
        co_await tick.async_wait(asio::use_awaitable);
    }
}

}  // namespace mxgate
