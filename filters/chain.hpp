// Runs the filters registered for a stage, all at once, and collects their
// findings in registry order. Filters of one stage never depend on each other
// (one that needs another's result, as greylisting needs SPF's, runs at a later
// stage and reads view.findings). Each filter bounds its own work with the
// timeouts of its config and reports a timeout as temperror; the chain bounds the
// whole stage (filters.stage_timeout) for a filter that does not: an overrun is
// cancelled and reported as that filter's timed_out() finding plus a log line.
// A filter that throws becomes a temperror Finding naming it: a bug in a filter
// is a visible fact for policy, never a crash, a hang or a silent pass.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "filters/filter.hpp"
#include "filters/message_feed.hpp"

namespace mxgate::filters {

struct ChainCounters {  // mxgate_filter_<name>_total
    std::atomic<std::uint64_t> stage_timeouts{0};  // filters cut off by the stage deadline
};

class Chain {
public:
    Chain(std::vector<std::unique_ptr<Filter>> filters, std::chrono::milliseconds stage_timeout)
        : filters_(std::move(filters)), stage_timeout_(stage_timeout) {}

    // True when no filter runs at `stage`: the session skips the stage entirely.
    bool idle_at(core::Stage stage) const;
    // The inspectors of the content filters for the message about to arrive
    // (empty when none reads it): the session feeds them, run() finishes them.
    // `skip`: names of filters policy spared for this message (`skip:` rules).
    MessageFeed begin_message(const TransactionView& view, const boost::asio::any_io_executor& executor,
                              std::span<const std::string> skip = {}) const;
    // Completes by stage_timeout plus the time cancelled filters take to notice
    // (their waits - DNS, timers, the SPF evaluator - end at once when cancelled).
    // At end_of_data, `feed` (may be null) is finished alongside the filters,
    // under the same deadline, and its findings come after theirs.
    boost::asio::awaitable<std::vector<core::Finding>> run(core::Stage stage, const TransactionView& view,
                                                           MessageFeed* feed = nullptr,
                                                           std::span<const std::string> skip = {}) const;
    const ChainCounters& counters() const noexcept { return *counters_; }
    // Its own counters and each filter's (Filter::report).
    void report(MetricSink& sink) const;

private:
    std::vector<std::unique_ptr<Filter>> filters_;
    std::chrono::milliseconds stage_timeout_;
    std::unique_ptr<ChainCounters> counters_ = std::make_unique<ChainCounters>();  // keeps Chain movable
};

}  // namespace mxgate::filters
