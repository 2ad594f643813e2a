#include "filters/chain.hpp"

#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters {

namespace asio = boost::asio;

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

namespace {

Finding failed(const Filter& filter, const std::exception_ptr& error) {
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    // No action attribute: policy fails closed on it (docs/architecture.md).
    return {std::string(filter.name()), Outcome::temperror, {{"error", "exception"}}, std::move(what)};
}

void append(std::vector<Finding>& to, std::vector<Finding> found) {
    to.insert(to.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

}  // namespace

asio::awaitable<std::vector<Finding>> Chain::run(Stage stage, const TransactionView& view) const {
    std::vector<Filter*> active;
    for (const auto& filter : filters_)
        if (filter->runs_at(stage)) active.push_back(filter.get());
    std::vector<Finding> findings;
    if (active.empty()) co_return findings;
    if (active.size() == 1) {  // the common case needs no group
        std::exception_ptr error;
        try {
            auto found = co_await active.front()->inspect(stage, view);  // named: GCC 12, see session.cpp
            append(findings, std::move(found));
        } catch (...) {
            error = std::current_exception();
        }
        if (error) findings.push_back(failed(*active.front(), error));
        co_return findings;
    }
    const auto executor = co_await asio::this_coro::executor;
    using Op = decltype(asio::co_spawn(executor, active.front()->inspect(stage, view), asio::deferred));
    std::vector<Op> ops;
    for (Filter* filter : active)
        ops.push_back(asio::co_spawn(executor, filter->inspect(stage, view), asio::deferred));
    auto group = asio::experimental::make_parallel_group(std::move(ops));
    auto [order, errors, results] = co_await group.async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    for (std::size_t i = 0; i < active.size(); ++i) {
        if (errors[i])
            findings.push_back(failed(*active[i], errors[i]));
        else
            append(findings, std::move(results[i]));
    }
    co_return findings;
}

}  // namespace mxgate::filters
