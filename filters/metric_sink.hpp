// The one seam through which counters are read (docs/metrics.md): whatever keeps
// counters (a filter, the chain, the resolver, the backend slots, the policy's
// verdict counts) reports each of them to a MetricSink, which the metrics
// endpoint renders. A reporter names its family and labels; it never knows the
// output format. Counters only: every value here is a monotonic total.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxgate::filters {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;  // name -> value, in order

class MetricSink {
public:
    virtual ~MetricSink() = default;
    // One sample of the counter family `family` ("mxgate_dkim_total"); samples of
    // one family may come from several reporters and in any order.
    virtual void counter(std::string_view family, std::string_view help, const MetricLabels& labels,
                         std::uint64_t value) = 0;
    void counter(std::string_view family, std::string_view help, std::uint64_t value) {
        counter(family, help, {}, value);
    }
};

// A family whose members differ by one label ("result"): each member's value and
// counter; `common`: labels all members share, before that one ("list").
struct LabeledCounter {
    std::string_view value;
    const std::atomic<std::uint64_t>& counter;
};
inline void report_labeled(MetricSink& sink, std::string_view family, std::string_view help, std::string_view label,
                           std::initializer_list<LabeledCounter> members, const MetricLabels& common = {}) {
    for (const auto& member : members) {
        MetricLabels labels = common;
        labels.emplace_back(label, member.value);
        sink.counter(family, help, labels, member.counter.load());
    }
}

}  // namespace mxgate::filters
