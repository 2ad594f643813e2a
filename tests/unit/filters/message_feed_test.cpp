// The content filters' seam through the chain: every inspector is fed the same
// message, they finish in registry order each seeing the findings before it,
// and at the stage deadline the finished ones keep their findings while the
// rest become their filters' timed_out() findings.
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

// Reads the message; at finish reports what it read and how many findings it
// saw before it, after `delay`.
class Reader final : public f::Filter {
public:
    Reader(std::string name, std::chrono::milliseconds delay = 0ms) : name_(std::move(name)), delay_(delay) {}
    std::string_view name() const noexcept override { return name_; }
    bool runs_at(core::Stage) const noexcept override { return false; }
    asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const f::TransactionView&) override {
        co_return std::vector<core::Finding>{};
    }
    std::unique_ptr<f::MessageInspector> inspect_message(const f::TransactionView&,
                                                         const asio::any_io_executor&) override {
        return std::make_unique<Inspector>(*this);
    }

private:
    struct Inspector final : f::MessageInspector {
        explicit Inspector(const Reader& reader) : reader(reader) {}
        void header_field(std::string_view field) override { text += "[" + std::string(field) + "]"; }
        void end_of_header() override { text += "|"; }
        void body(std::string_view chunk) override { text += chunk; }
        asio::awaitable<std::vector<core::Finding>> finish(const f::TransactionView& view) override {
            asio::steady_timer timer(co_await asio::this_coro::executor, reader.delay_);
            co_await timer.async_wait(asio::use_awaitable);
            co_return std::vector<core::Finding>{{std::string(reader.name_), core::Outcome::pass,
                                                  {{"read", text}, {"saw", std::to_string(view.findings->size())}}, ""}};
        }
        const Reader& reader;
        std::string text;
    };
    std::string name_;
    std::chrono::milliseconds delay_;
};

class NotReading final : public f::Filter {
public:
    std::string_view name() const noexcept override { return "not_reading"; }
    bool runs_at(core::Stage stage) const noexcept override { return stage == core::Stage::end_of_data; }
    asio::awaitable<std::vector<core::Finding>> inspect(core::Stage, const f::TransactionView&) override {
        co_return std::vector<core::Finding>{{"not_reading", core::Outcome::none, {}, ""}};
    }
};

std::vector<core::Finding> finish(const f::Chain& chain, std::vector<core::Finding> earlier) {
    asio::io_context io;
    f::TransactionView view;
    view.findings = &earlier;
    f::MessageFeed feed = chain.begin_message(view, io.get_executor());
    feed.header_field("Subject: x\r\n");
    feed.end_of_header();
    feed.body("body\r\n");
    auto done = asio::co_spawn(io, chain.run(core::Stage::end_of_data, view, &feed), asio::use_future);
    io.run();
    return done.get();
}

TEST(MessageFeed, InspectorsReadTheMessageAndFinishInRegistryOrder) {
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Reader>("first", 20ms));
    filters.push_back(std::make_unique<NotReading>());
    filters.push_back(std::make_unique<Reader>("second"));
    const f::Chain chain(std::move(filters), 30s);
    const auto found = finish(chain, {{"spf", core::Outcome::pass, {}, ""}});
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].name, "not_reading");  // the stage's own filters first
    EXPECT_EQ(found[1].name, "first");
    EXPECT_EQ(found[1].attr("read"), "[Subject: x\r\n]|body\r\n");
    EXPECT_EQ(found[1].attr("saw"), "1");  // spf
    EXPECT_EQ(found[2].name, "second");
    EXPECT_EQ(found[2].attr("saw"), "2") << "the later inspector sees the earlier one's finding, though it was slower";
}

TEST(MessageFeed, AtTheDeadlineFinishedInspectorsKeepTheirFindings) {
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<Reader>("quick"));
    filters.push_back(std::make_unique<Reader>("slow", 24h));
    const f::Chain chain(std::move(filters), 50ms);
    const auto found = finish(chain, {});
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].name, "quick");
    EXPECT_EQ(found[0].outcome, core::Outcome::pass);
    EXPECT_EQ(found[1].name, "slow");
    EXPECT_EQ(found[1].outcome, core::Outcome::temperror);
    EXPECT_EQ(found[1].reason, "timeout");
    EXPECT_EQ(chain.counters().stage_timeouts.load(), 1u);
}

TEST(MessageFeed, NoContentFilterNoFeed) {
    std::vector<std::unique_ptr<f::Filter>> filters;
    filters.push_back(std::make_unique<NotReading>());
    const f::Chain chain(std::move(filters), 30s);
    asio::io_context io;
    EXPECT_TRUE(chain.begin_message({}, io.get_executor()).empty());
}

}  // namespace
