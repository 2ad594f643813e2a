#include "filters/chain.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/core/log.hpp"

namespace mxgate::filters {

namespace asio = boost::asio;

bool Chain::idle_at(core::Stage stage) const {
    for (const auto& filter : filters_)
        if (filter->runs_at(stage)) return false;
    return true;
}

namespace {

core::Finding failed(const Filter& filter, const std::exception_ptr& error) {
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    // error=exception: no default rule answers it, so policy fails closed (docs/architecture.md).
    return {std::string(filter.name()), core::Outcome::temperror, {{"error", "exception"}}, std::move(what)};
}

bool skipped(const Filter& filter, std::span<const std::string> skip) {
    return std::find(skip.begin(), skip.end(), filter.name()) != skip.end();
}

void append(std::vector<core::Finding>& to, std::vector<core::Finding> found) {
    to.insert(to.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

// What the filters of one stage share with their completion handlers. Shared,
// so a handler never outlives what it writes to.
struct StageRun {
    StageRun(const asio::any_io_executor& executor, std::size_t filters)
        : wake(executor), cancel(filters), results(filters), errors(filters), done(filters, false), pending(filters) {}
    asio::steady_timer wake;  // the deadline; cancelled early when the last filter is done
    std::vector<asio::cancellation_signal> cancel;
    std::vector<std::vector<core::Finding>> results;
    std::vector<std::exception_ptr> errors;
    std::vector<bool> done;
    std::size_t pending;
};

// Until every filter is done or `run.wake` expires. Single-threaded (the
// session's executor): no handler can run between the check and the wait.
asio::awaitable<void> wait_for_filters(StageRun& run) {
    while (run.pending > 0) {
        boost::system::error_code ec;
        co_await run.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_return;  // expired
    }
}

}  // namespace

MessageFeed Chain::begin_message(const TransactionView& view, const asio::any_io_executor& executor,
                                 std::span<const std::string> skip) const {
    MessageFeed feed;
    for (const auto& filter : filters_) {
        if (skipped(*filter, skip)) continue;
        if (auto inspector = filter->inspect_message(view, executor)) feed.add(*filter, std::move(inspector));
    }
    return feed;
}

asio::awaitable<std::vector<core::Finding>> Chain::run(core::Stage stage, const TransactionView& view,
                                                       MessageFeed* feed, std::span<const std::string> skip) const {
    std::vector<Filter*> active;
    for (const auto& filter : filters_)
        if (filter->runs_at(stage) && !skipped(*filter, skip)) active.push_back(filter.get());
    if (feed && feed->empty()) feed = nullptr;
    std::vector<core::Finding> findings;
    if (active.empty() && !feed) co_return findings;
    // The message's inspectors are one more task, after the filters (index active.size()).
    const std::size_t tasks = active.size() + (feed ? 1 : 0);
    auto run = std::make_shared<StageRun>(co_await asio::this_coro::executor, tasks);
    run->wake.expires_after(stage_timeout_);
    for (std::size_t i = 0; i < tasks; ++i) {
        auto finished = [run, i](std::exception_ptr error, std::vector<core::Finding> found) {
            run->errors[i] = std::move(error);
            run->results[i] = std::move(found);
            run->done[i] = true;
            if (--run->pending == 0) run->wake.cancel();
        };
        auto task = i < active.size() ? active[i]->inspect(stage, view) : feed->finish(view);
        asio::co_spawn(run->wake.get_executor(), std::move(task),
                       asio::bind_cancellation_slot(run->cancel[i].slot(), std::move(finished)));
    }
    co_await wait_for_filters(*run);
    const std::vector<bool> in_time = run->done;
    // What the inspectors found by the deadline, taken before the cancellation below.
    std::vector<core::Finding> feed_findings;
    if (feed && !in_time.back()) feed_findings = feed->at_deadline();
    if (run->pending > 0) {
        // Over the stage deadline: cancel the stragglers and wait for them to
        // unwind, so none still reads `view` or its filter after we return.
        for (std::size_t i = 0; i < tasks; ++i) {
            if (in_time[i]) continue;
            ++counters_->stage_timeouts;
            log::warn(log::Line("filter_timeout").add("session", view.session_id)
                          .add("filter", i < active.size() ? active[i]->name() : std::string_view("message_inspectors"))
                          .add("stage", to_string(stage))
                          .add("timeout_ms", static_cast<long long>(stage_timeout_.count())));
            run->cancel[i].emit(asio::cancellation_type::terminal);
        }
        run->wake.expires_at(asio::steady_timer::time_point::max());
        co_await wait_for_filters(*run);
    }
    for (std::size_t i = 0; i < active.size(); ++i) {
        if (!in_time[i])
            append(findings, active[i]->timed_out(stage));
        else if (run->errors[i])
            findings.push_back(failed(*active[i], run->errors[i]));
        else
            append(findings, std::move(run->results[i]));
    }
    if (feed && in_time.back())
        append(findings, run->errors.back() ? feed->at_deadline() : std::move(run->results.back()));
    else if (feed)
        append(findings, std::move(feed_findings));
    co_return findings;
}

void Chain::report(MetricSink& sink) const {
    sink.counter("mxgate_filter_stage_timeouts_total", "Filters cut off by filters.stage_timeout",
                 counters_->stage_timeouts.load());
    for (const auto& filter : filters_) filter->report(sink);
}

}  // namespace mxgate::filters
