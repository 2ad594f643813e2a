// Runs the filters registered for a stage, all at once, and collects their
// findings in registry order. Filters of one stage never depend on each other
// (one that needs another's result, as greylisting needs SPF's, runs at a later
// stage and reads view.findings). Each filter bounds its own work with the
// timeouts of its config and reports a timeout as temperror. A filter that
// throws becomes a temperror Finding naming it: a bug in a filter is a visible
// fact for policy, never a crash and never a silent pass.
#pragma once

#include <memory>
#include <vector>

#include "filters/filter.hpp"

namespace mxgate::filters {

class Chain {
public:
    explicit Chain(std::vector<std::unique_ptr<Filter>> filters) : filters_(std::move(filters)) {}

    // True when no filter runs at `stage`: the session skips the stage entirely.
    bool idle_at(Stage stage) const;
    boost::asio::awaitable<std::vector<Finding>> run(Stage stage, const TransactionView& view) const;

private:
    std::vector<std::unique_ptr<Filter>> filters_;
};

}  // namespace mxgate::filters
