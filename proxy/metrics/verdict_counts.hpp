// VerdictCounts: mxgate_policy_verdicts_total{rule, action, mode}, the policy's
// verdicts counted where the session logs them (`verdict`: applied,
// `policy_monitor`: monitored, what the rule would have done). Owned by the
// configuration generation: a reload starts the new generation's counts at zero,
// as it does every filter's counters (Prometheus reads a drop as a counter reset).
// Rule names and actions come from the config, so the label sets are bounded.
// Thread-safe: sessions of every worker count into one generation's counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "filters/metric_sink.hpp"

namespace mxgate::metrics {

enum class VerdictMode : unsigned char { applied, monitored };

class VerdictCounts {
public:
    void count(std::string_view rule, std::string_view action, VerdictMode mode);
    void report(filters::MetricSink& sink) const;

private:
    using Key = std::tuple<std::string, std::string, VerdictMode>;  // rule, action, mode
    mutable std::shared_mutex mutex_;  // shared to find and add to a count; exclusive to add a key
    std::map<Key, std::atomic<std::uint64_t>, std::less<>> counts_;
};

}  // namespace mxgate::metrics
