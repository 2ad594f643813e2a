#include "filters/chain.hpp"

#include <exception>

namespace mxgate::filters {

std::string_view to_string(Stage stage) {
    switch (stage) {
        case Stage::connect: return "connect";
        case Stage::helo: return "helo";
        case Stage::mail_from: return "mail_from";
        case Stage::rcpt: return "rcpt";
        case Stage::end_of_data: return "end_of_data";
    }
    return "unknown";
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::pass: return "pass";
        case Outcome::fail: return "fail";
        case Outcome::softfail: return "softfail";
        case Outcome::neutral: return "neutral";
        case Outcome::none: return "none";
        case Outcome::temperror: return "temperror";
        case Outcome::permerror: return "permerror";
        case Outcome::skipped: return "skipped";
    }
    return "unknown";
}

bool Chain::idle_at(Stage stage) const {
    for (const auto& filter : filters_)
        if (filter->runs_at(stage)) return false;
    return true;
}

boost::asio::awaitable<std::vector<Finding>> Chain::run(Stage stage, const TransactionView& view) const {
    // Sequential for now; issue 4 runs independent filters concurrently with
    // per-filter budgets (timeouts -> temperror).
    std::vector<Finding> findings;
    for (const auto& filter : filters_) {
        if (!filter->runs_at(stage)) continue;
        try {
            auto found = co_await filter->inspect(stage, view);
            findings.insert(findings.end(), std::make_move_iterator(found.begin()),
                            std::make_move_iterator(found.end()));
        } catch (const std::exception& e) {
            findings.push_back({std::string(filter->name()), Outcome::temperror, {}, e.what()});
        }
    }
    co_return findings;
}

}  // namespace mxgate::filters
