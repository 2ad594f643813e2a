#include "proxy/metrics/verdict_counts.hpp"

#include <mutex>

namespace mxgate::metrics {

void VerdictCounts::count(std::string_view rule, std::string_view action, VerdictMode mode) {
    Key key{std::string(rule), std::string(action), mode};
    {
        std::shared_lock lock(mutex_);
        if (auto it = counts_.find(key); it != counts_.end()) {
            it->second.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    std::unique_lock lock(mutex_);
    counts_[std::move(key)].fetch_add(1, std::memory_order_relaxed);
}

void VerdictCounts::report(filters::MetricSink& sink) const {
    std::shared_lock lock(mutex_);
    for (const auto& [key, count] : counts_) {
        const auto& [rule, action, mode] = key;
        sink.counter("mxgate_policy_verdicts_total", "Policy verdicts by rule, applied or only monitored",
                     {{"rule", rule}, {"action", action}, {"mode", mode == VerdictMode::applied ? "applied" : "monitored"}},
                     count.load(std::memory_order_relaxed));
    }
}

}  // namespace mxgate::metrics
