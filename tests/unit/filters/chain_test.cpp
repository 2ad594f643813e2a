// Chain: the filters of a stage run at once (a slow one does not delay another),
// findings come back in registry order, and a filter that throws becomes a
// temperror finding with error=exception, which policy fails closed on. A filter still
// running at the stage deadline is cancelled and becomes its timed_out() finding.
#include "filters/chain.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

namespace {

namespace f = mxgate::filters;
namespace core = mxgate::core;
namespace asio = boost::asio;
using namespace std::chrono_literals;

// Waits `delay`, then reports one finding named after itself; or throws.
class Sleeper final : public f::Filter {
public:
    Sleeper(std::string name, std::chrono::milliseconds delay, bool throws = false, core::Stage stage = core::Stage::connect)
        : name_(std::move(name)), delay_(delay), throws_(throws), stage_(stage) {}
    std::string_view name() const noexcept override { return name_; }
    bool runs_at(core::Stage stage) const noexcept override { return stage == stage_; }
    asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const f::TransactionView&) override {
        asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
        co_await timer.async_wait(asio::use_awaitable);
        if (throws_) throw std::runtime_error("boom in " + name_);
        co_return std::vector<core::Finding>{{name_, core::Outcome::pass, {}, ""}};
    }

private:
    std::string name_;
    std::chrono::milliseconds delay_;
    bool throws_;
    core::Stage stage_;
};

// Reports only once every filter of its group has started, then after `delay`:
// run one after the other, the first would wait until the stage deadline.
class Rendezvous final : public f::Filter {
public:
    struct Group {
        int members;
        int started = 0;
    };
    Rendezvous(std::string name, std::shared_ptr<Group> group, std::chrono::milliseconds delay)
        : name_(std::move(name)), group_(std::move(group)), delay_(delay) {}
    std::string_view name() const noexcept override { return name_; }
    bool runs_at(core::Stage) const noexcept override { return true; }
    asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const f::TransactionView&) override {
        ++group_->started;
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (group_->started < group_->members) {
            timer.expires_after(1ms);
            co_await timer.async_wait(asio::use_awaitable);
        }
        timer.expires_after(delay_);
        co_await timer.async_wait(asio::use_awaitable);
        co_return std::vector<core::Finding>{{name_, core::Outcome::pass, {}, ""}};
    }

private:
    std::string name_;
    std::shared_ptr<Group> group_;
    std::chrono::milliseconds delay_;
};

std::vector<core::Finding> run(const f::Chain& chain, core::Stage stage = core::Stage::connect) {
    asio::io_context io;
    f::TransactionView view;
    auto done = asio::co_spawn(io, chain.run(stage, view), asio::use_future);
    io.run();
    return done.get();
}

f::Chain chain_of(std::vector<std::unique_ptr<f::Filter>> filters, std::chrono::milliseconds stage_timeout = 30s) {
    return f::Chain(std::move(filters), stage_timeout);
}

// Never finishes unless cancelled; records that its frame unwound, and with
// `own_timeout` reports a timed_out() finding of its own, as DMARC does.
class Hanger final : public f::Filter {
public:
    explicit Hanger(std::shared_ptr<bool> unwound, bool own_timeout = false)
        : unwound_(std::move(unwound)), own_timeout_(own_timeout) {}
    std::string_view name() const noexcept override { return "hanger"; }
    bool runs_at(core::Stage) const noexcept override { return true; }
    asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const f::TransactionView&) override {
        struct Mark {
            std::shared_ptr<bool> unwound;
            ~Mark() { *unwound = true; }
        } mark{unwound_};
        asio::steady_timer forever(co_await asio::this_coro::executor, 24h);
        co_await forever.async_wait(asio::use_awaitable);
        co_return std::vector<core::Finding>{{"hanger", core::Outcome::pass, {}, "finished after all"}};
    }
    std::vector<core::Finding> timed_out(core::Stage) const override {
        if (!own_timeout_) return Filter::timed_out(core::Stage::connect);
        core::Finding finding = timeout_finding(name());
        finding.attrs.emplace_back("auth_results", "hanger=temperror");
        return {finding};
    }

private:
    std::shared_ptr<bool> unwound_;
    bool own_timeout_;
};

TEST(Chain, FiltersOfAStageRunAtOnceAndReportInRegistryOrder) {
    auto group = std::make_shared<Rendezvous::Group>(Rendezvous::Group{3});
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Rendezvous>("slow", group, 30ms));
    filters.push_back(std::make_unique<Rendezvous>("fast", group, 0ms));
    filters.push_back(std::make_unique<Rendezvous>("medium", group, 20ms));
    const auto findings = run(chain_of(std::move(filters)));
    ASSERT_EQ(findings.size(), 3u);
    EXPECT_EQ(findings[0].name, "slow");
    EXPECT_EQ(findings[1].name, "fast");
    EXPECT_EQ(findings[2].name, "medium");
    for (const auto& finding : findings)
        EXPECT_EQ(finding.outcome, core::Outcome::pass) << finding.name << ": the filters did not run at once";
}

TEST(Chain, AThrowingFilterIsAnExceptionTemperrorAndTheOthersStillReport) {
    for (const bool alone : {true, false}) {
        std::vector<std::unique_ptr<f::Filter>> filters;
        filters.push_back(std::make_unique<Sleeper>("broken", 1ms, true));
        if (!alone) filters.push_back(std::make_unique<Sleeper>("fine", 1ms));
        const auto findings = run(chain_of(std::move(filters)));
        ASSERT_EQ(findings.size(), alone ? 1u : 2u);
        EXPECT_EQ(findings[0].name, "broken");
        EXPECT_EQ(findings[0].outcome, core::Outcome::temperror);
        EXPECT_EQ(findings[0].reason, "boom in broken");
        EXPECT_EQ(findings[0].attr("error"), "exception");
        if (!alone) {
            EXPECT_EQ(findings[1].name, "fine");
        }
    }
}

TEST(Chain, OnlyTheStagesFiltersRun) {
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Sleeper>("at_rcpt", 1ms, false, core::Stage::rcpt));
    const auto chain = chain_of(std::move(filters));
    EXPECT_TRUE(chain.idle_at(core::Stage::connect));
    EXPECT_FALSE(chain.idle_at(core::Stage::rcpt));
    EXPECT_TRUE(run(chain, core::Stage::connect).empty());
    EXPECT_EQ(run(chain, core::Stage::rcpt).size(), 1u);
}

TEST(Chain, AFilterOverTheStageDeadlineIsCancelledAndBecomesATimeoutTemperror) {
    auto unwound = std::make_shared<bool>(false);
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Sleeper>("before", 1ms));
    filters.push_back(std::make_unique<Hanger>(unwound));
    filters.push_back(std::make_unique<Sleeper>("after", 20ms));
    const auto chain = chain_of(std::move(filters), 200ms);
    const auto findings = run(chain);  // returns at all: the stage deadline ended the filter's 24 h wait
    EXPECT_TRUE(*unwound) << "the hung filter's coroutine was cancelled and unwound before run() returned";
    ASSERT_EQ(findings.size(), 3u);
    EXPECT_EQ(findings[0].name, "before");
    EXPECT_EQ(findings[1].name, "hanger");
    EXPECT_EQ(findings[1].outcome, core::Outcome::temperror);
    EXPECT_EQ(findings[1].reason, "timeout");
    EXPECT_EQ(findings[1].attr("error"), "timeout");
    EXPECT_EQ(findings[2].name, "after");
    EXPECT_EQ(findings[2].outcome, core::Outcome::pass);
    EXPECT_EQ(chain.counters().stage_timeouts.load(), 1u);
}

TEST(Chain, ATimedOutFilterReportsItsOwnTimedOutFinding) {
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Hanger>(std::make_shared<bool>(false), true));
    const auto findings = run(chain_of(std::move(filters), 50ms));
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, core::Outcome::temperror);
    EXPECT_EQ(findings[0].attr("error"), "timeout");
    EXPECT_EQ(findings[0].attr("auth_results"), "hanger=temperror");
}

TEST(Chain, FiltersWithinTheDeadlineAreNotCounted) {
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Sleeper>("quick", 1ms));
    filters.push_back(std::make_unique<Sleeper>("empty", 1ms, false, core::Stage::rcpt));
    const auto chain = chain_of(std::move(filters), 5s);
    EXPECT_EQ(run(chain).size(), 1u);
    EXPECT_EQ(chain.counters().stage_timeouts.load(), 0u);
}

}  // namespace
