// UnboundResolver against real peers on loopback: an nsd serving test zones
// (started by the fixture on loopback, stopped by PID) and a "dead" server
// that reads queries and never answers. Asserts the decoded answers, the per-query
// deadline, that a hanging query stalls nothing, and that answers come back on
// each caller's own executor.
#include "filters/dns/unbound_resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/integration/native/filters/dns/nsd_fixture.hpp"

namespace mxgate::filters::dns {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* zone_example = R"($ORIGIN example.com.
$TTL 300
@       SOA   ns1 hostmaster 1 3600 600 86400 60
@       NS    ns1
ns1     A     127.0.0.1
host    A     192.0.2.10
host    A     192.0.2.11
host    AAAA  2001:db8::10
@       MX    10 mx1
@       MX    20 mx2.example.net.
mx1     A     192.0.2.25
spf     TXT   "v=spf1 " "ip4:192.0.2.0/24 " "-all"
spf     TXT   "second record"
alias   CNAME host
v4only  A     192.0.2.12
)";

constexpr const char* zone_reverse = R"($ORIGIN 18.198.in-addr.arpa.
$TTL 300
@       SOA   ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60
@       NS    ns1.example.com.
10.0    PTR   host.example.com.
)";

// example.com and its reverse zone, served for the whole suite.
test::NsdServer* start_nsd() {
    return new test::NsdServer({{"example.com", zone_example}, {"18.198.in-addr.arpa", zone_reverse}});
}

std::unique_ptr<UnboundResolver> make_resolver(DnsConfig config) {
    auto created = UnboundResolver::create(config);
    for (const auto& error : created.errors) ADD_FAILURE() << error;
    return std::move(created.resolver);
}

Answer resolve(Resolver& resolver, std::string name, RecordType type) {
    asio::io_context io;
    std::optional<Answer> answer;
    asio::co_spawn(io, resolver.query(std::move(name), type), [&](std::exception_ptr error, Answer result) {
        if (!error) answer = std::move(result);
    });
    io.run();  // returns only once the answer was posted back to this io_context
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(Answer{});
}

class DnsUnboundResolver : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        nsd_ = start_nsd();
        dead_ = new test::SilentDnsServer;
    }
    static void TearDownTestSuite() {
        delete nsd_;
        delete dead_;
    }
    void SetUp() override {
        ASSERT_TRUE(nsd_->ready()) << "nsd did not start";
        DnsConfig config;
        config.servers = {nsd_->server()};
        config.timeout = 800ms;
        config.stub_zones = {{"dead.example.net", {dead_->server()}}};
        resolver_ = make_resolver(config);
        ASSERT_TRUE(resolver_);
    }

    static inline test::NsdServer* nsd_ = nullptr;
    static inline test::SilentDnsServer* dead_ = nullptr;
    std::unique_ptr<UnboundResolver> resolver_;
};

using Records = std::vector<std::string>;
Records sorted(Records records) {
    std::sort(records.begin(), records.end());
    return records;
}

TEST_F(DnsUnboundResolver, AnswersEachRecordType) {
    auto a = resolve(*resolver_, "host.example.com", RecordType::a);
    EXPECT_EQ(a.status, Status::ok);
    EXPECT_EQ(sorted(a.records), (Records{"192.0.2.10", "192.0.2.11"}));
    EXPECT_GT(a.ttl, 0u);
    EXPECT_LE(a.ttl, 300u);
    EXPECT_FALSE(a.secure);

    auto aaaa = resolve(*resolver_, "host.example.com.", RecordType::aaaa);
    EXPECT_EQ(aaaa.status, Status::ok);
    EXPECT_EQ(aaaa.records, (Records{"2001:db8::10"}));

    auto txt = resolve(*resolver_, "spf.example.com", RecordType::txt);
    EXPECT_EQ(txt.status, Status::ok);
    EXPECT_EQ(sorted(txt.records), (Records{"second record", "v=spf1 ip4:192.0.2.0/24 -all"}));

    auto ptr = resolve(*resolver_, "10.0.18.198.in-addr.arpa", RecordType::ptr);
    EXPECT_EQ(ptr.status, Status::ok);
    EXPECT_EQ(ptr.records, (Records{"host.example.com"}));

    auto mx = resolve(*resolver_, "example.com", RecordType::mx);
    EXPECT_EQ(mx.status, Status::ok);
    EXPECT_EQ(sorted(mx.records), (Records{"10 mx1.example.com", "20 mx2.example.net"}));

    auto ns = resolve(*resolver_, "example.com", RecordType::ns);
    EXPECT_EQ(ns.status, Status::ok);
    EXPECT_EQ(ns.records, (Records{"ns1.example.com"}));
}

TEST_F(DnsUnboundResolver, Cname) {
    auto cname = resolve(*resolver_, "alias.example.com", RecordType::cname);
    EXPECT_EQ(cname.status, Status::ok);
    EXPECT_EQ(cname.records, (Records{"host.example.com"}));
    // Other types follow the alias.
    auto a = resolve(*resolver_, "alias.example.com", RecordType::a);
    EXPECT_EQ(a.status, Status::ok);
    EXPECT_EQ(sorted(a.records), (Records{"192.0.2.10", "192.0.2.11"}));
}

TEST_F(DnsUnboundResolver, NegativeAnswers) {
    auto missing = resolve(*resolver_, "missing.example.com", RecordType::a);
    EXPECT_EQ(missing.status, Status::nxdomain);
    EXPECT_TRUE(missing.records.empty());
    auto nodata = resolve(*resolver_, "v4only.example.com", RecordType::aaaa);
    EXPECT_EQ(nodata.status, Status::nodata);
    EXPECT_TRUE(nodata.records.empty());
    // The negative TTL comes from the SOA (minimum 60 s, RFC 2308 §5).
    EXPECT_GT(missing.ttl, 0u);
    EXPECT_LE(missing.ttl, 60u);
    EXPECT_LE(nodata.ttl, 60u);
    // Asked again: served by the front cache on this thread, same answers, TTL counting down.
    const auto again = resolve(*resolver_, "missing.example.com", RecordType::a);
    EXPECT_EQ(again.status, Status::nxdomain);
    EXPECT_LE(again.ttl, missing.ttl);
    EXPECT_EQ(resolve(*resolver_, "V4ONLY.example.com.", RecordType::aaaa).status, Status::nodata);
    // A name outside nsd's zones: nsd says REFUSED, a failure, not an answer.
    EXPECT_EQ(resolve(*resolver_, "example.org", RecordType::a).status, Status::servfail);
    // Not a domain name at all: libunbound refuses it, we answer servfail.
    EXPECT_EQ(resolve(*resolver_, std::string(300, 'x'), RecordType::a).status, Status::servfail);
    const auto& counters = resolver_->counters();
    EXPECT_EQ(counters.queries, 4u);  // asked of libunbound
    EXPECT_EQ(counters.cache_hits, 2u);
    EXPECT_EQ(counters.nxdomain, 1u);
    EXPECT_EQ(counters.nodata, 1u);
    EXPECT_EQ(counters.servfail, 2u);  // failures are never cached: asked each time
    EXPECT_EQ(counters.libunbound_errors, 1u);
}

TEST_F(DnsUnboundResolver, MaxNegativeCacheTtlCapsNegativeAnswers) {
    DnsConfig config;
    config.servers = {nsd_->server()};
    config.max_negative_cache_ttl = 5s;
    auto capped = make_resolver(config);
    ASSERT_TRUE(capped);
    auto missing = resolve(*capped, "missing.example.com", RecordType::a);
    EXPECT_EQ(missing.status, Status::nxdomain);
    EXPECT_LE(missing.ttl, 5u);
}

TEST_F(DnsUnboundResolver, DeadServerTimesOutAndStallsNothing) {
    DnsConfig config;
    config.servers = {dead_->server()};
    config.timeout = 600ms;
    auto dead_resolver = make_resolver(config);
    ASSERT_TRUE(dead_resolver);

    asio::io_context io;  // one worker thread serves all three queries
    const auto start = Clock::now();
    std::optional<Answer> dead, dead_zone, good;
    Clock::duration dead_after{}, dead_zone_after{};
    int answered = 0, dead_zone_rank = 0, good_rank = 0;  // the order the answers came in
    asio::co_spawn(io, dead_resolver->query("host.example.com", RecordType::a), [&](std::exception_ptr, Answer a) {
        dead = a;
        dead_after = Clock::now() - start;
        ++answered;
    });
    // The shared resolver: one query hangs on the dead stub zone ...
    asio::co_spawn(io, resolver_->query("x.dead.example.net", RecordType::a), [&](std::exception_ptr, Answer a) {
        dead_zone = a;
        dead_zone_after = Clock::now() - start;
        dead_zone_rank = ++answered;
    });
    // ... and one issued after it, on the same resolver, must still be quick.
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer pause(io, 100ms);
            co_await pause.async_wait(asio::use_awaitable);
            good = co_await resolver_->query("mx1.example.com", RecordType::a);
            good_rank = ++answered;
        },
        asio::detached);
    io.run();

    ASSERT_TRUE(dead && dead_zone && good);
    // Each query waited out its own resolver's dns.timeout (a lower bound: a timer
    // never fires early; how much later is the machine's business).
    EXPECT_EQ(dead->status, Status::timeout);
    EXPECT_GE(dead_after, 600ms);
    EXPECT_EQ(dead_zone->status, Status::timeout);
    EXPECT_GE(dead_zone_after, 800ms);
    EXPECT_EQ(good->status, Status::ok);
    EXPECT_EQ(good->records, (Records{"192.0.2.25"}));
    // Order: asked after it, answered before the hanging query gave up.
    EXPECT_LT(good_rank, dead_zone_rank) << "a hanging query delayed another one";
    EXPECT_EQ(dead_resolver->counters().timeout, 1u);
    EXPECT_EQ(resolver_->counters().timeout, 1u);
    EXPECT_EQ(resolver_->counters().ok, 1u);
}

TEST_F(DnsUnboundResolver, CallerCancellationAnswersEarly) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context io;
    std::optional<std::size_t> winner;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer budget(io, 150ms);  // a filter's own budget, shorter than dns.timeout
            auto result = co_await (resolver_->query("y.dead.example.net", RecordType::txt) ||
                                    budget.async_wait(asio::use_awaitable));
            winner = result.index();
        },
        asio::detached);
    io.run();
    ASSERT_TRUE(winner);
    EXPECT_EQ(*winner, 1u);
    // Cancelled while the resolver still waited: dns.timeout (800 ms) did not end it.
    EXPECT_EQ(resolver_->counters().cancelled, 1u);
    EXPECT_EQ(resolver_->counters().timeout, 1u);
    // The resolver is still fine afterwards.
    EXPECT_EQ(resolve(*resolver_, "host.example.com", RecordType::aaaa).status, Status::ok);
}

TEST_F(DnsUnboundResolver, AnswersComeBackOnEachCallersExecutor) {
    constexpr int queries_per_worker = 20;
    const std::vector<std::pair<std::string, RecordType>> questions{{"host.example.com", RecordType::a},
                                                                    {"spf.example.com", RecordType::txt},
                                                                    {"example.com", RecordType::mx},
                                                                    {"missing.example.com", RecordType::a}};
    struct Worker {
        asio::io_context io;
        int answered = 0;
        int on_own_thread = 0;
        std::thread::id thread_id;
    };
    Worker workers[2];
    for (auto& worker : workers) {
        for (int i = 0; i < queries_per_worker; ++i) {
            const auto& [name, type] = questions[static_cast<std::size_t>(i) % questions.size()];
            asio::co_spawn(
                worker.io,
                [&worker, &resolver = *resolver_, name = name, type = type]() -> asio::awaitable<void> {
                    auto answer = co_await resolver.query(name, type);
                    ++worker.answered;
                    if (worker.io.get_executor().running_in_this_thread() &&
                        std::this_thread::get_id() == worker.thread_id && answer.status != Status::servfail)
                        ++worker.on_own_thread;
                },
                asio::detached);
        }
    }
    std::vector<std::thread> threads;
    for (auto& worker : workers) {
        threads.emplace_back([&worker] {
            worker.thread_id = std::this_thread::get_id();
            worker.io.run();
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& worker : workers) {
        EXPECT_EQ(worker.answered, queries_per_worker);
        EXPECT_EQ(worker.on_own_thread, queries_per_worker);
    }
}

TEST(DnsUnboundResolverConfig, DestroyingTheResolverAnswersPendingQueries) {
    test::SilentDnsServer dead;
    DnsConfig config;
    config.servers = {dead.server()};
    config.timeout = 5s;
    auto resolver = make_resolver(config);
    ASSERT_TRUE(resolver);
    asio::io_context io;
    std::optional<Answer> answer;
    asio::co_spawn(io, resolver->query("host.example.com", RecordType::a),
                   [&](std::exception_ptr, Answer a) { answer = a; });
    io.run_for(100ms);  // the query is now out
    resolver.reset();
    io.run();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, Status::servfail) << "answered by the destructor, not by dns.timeout";
}

}  // namespace
}  // namespace mxgate::filters::dns
