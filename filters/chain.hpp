// Runs the filters registered for a stage and collects their findings.
// A filter that throws becomes a temperror Finding naming it: a bug in a filter
// is a visible fact for policy, never a crash and never a silent pass.
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
