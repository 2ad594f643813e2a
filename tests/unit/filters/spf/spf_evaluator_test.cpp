// SpfEvaluator over a scripted resolver: each record type, the identities, our
// limits (deadline, void lookups, query cap), concurrent lookups, and that
// evaluate() resumes the caller on its own executor and stops when cancelled.
// RFC 7208 conformance as a whole is the suite in tests/integration/native.
#include "filters/spf/spf_evaluator.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/unit/filters/dns/scripted_resolver.hpp"
#include "tests/unit/filters/mailbox.hpp"

namespace mxgate::filters::spf {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using dns::RecordType;
using dns::Status;

class SpfEvaluatorTest : public ::testing::Test {
protected:
    SpfEvaluatorTest() {
        config_.receiver = "mx.example.net";
        dns_.add("example.org", RecordType::txt, {"v=spf1 ip4:192.0.2.0/24 mx include:_spf.example.org -all"});
        dns_.add("example.org", RecordType::mx, {"10 mx.example.org"});
        dns_.add("mx.example.org", RecordType::a, {"198.51.100.7"});
        dns_.add("_spf.example.org", RecordType::txt, {"v=spf1 ip6:2001:db8::/32 ~all"});
        dns_.add("helo.example.org", RecordType::txt, {"v=spf1 a -all"});
        dns_.add("helo.example.org", RecordType::a, {"203.0.113.5"});
        dns_.add("soft.example.org", RecordType::txt, {"v=spf1 ?a ~all"});
        dns_.add("neutral.example.org", RecordType::txt, {"v=spf1 ?all"});
        dns_.add("other.example.org", RecordType::txt, {"google-site-verification=x"});
        dns_.add("ptr.example.org", RecordType::txt, {"v=spf1 ptr -all"});
        dns_.add("7.100.51.198.in-addr.arpa", RecordType::ptr, {"host.ptr.example.org"});
        dns_.add("host.ptr.example.org", RecordType::a, {"198.51.100.7"});
    }
    SpfVerdict check(const char* ip, const char* helo, const char* sender) {
        SpfEvaluator evaluator(dns_, config_);
        auto verdict = evaluator.evaluate_blocking({asio::ip::make_address(ip), helo, test::mailbox(sender)});
        counters_evaluations_ = evaluator.counters().evaluations.load();
        return verdict;
    }

    test::ScriptedResolver dns_;
    SpfConfig config_;
    std::uint64_t counters_evaluations_ = 0;
};

TEST_F(SpfEvaluatorTest, ResultsThroughEachRecordType) {
    auto ip4 = check("192.0.2.9", "client.example.com", "alice@example.org");
    EXPECT_EQ(ip4.result, SpfResult::pass);
    EXPECT_EQ(ip4.identity, Identity::mailfrom);
    EXPECT_EQ(ip4.domain, "example.org");
    EXPECT_EQ(ip4.sender, "alice@example.org");
    EXPECT_EQ(counters_evaluations_, 1u);

    EXPECT_EQ(check("198.51.100.7", "x.example.com", "alice@example.org").result, SpfResult::pass);  // mx -> A
    EXPECT_EQ(check("2001:db8::25", "x.example.com", "alice@example.org").result, SpfResult::pass);   // include
    auto fail = check("203.0.113.99", "x.example.com", "alice@example.org");
    EXPECT_EQ(fail.result, SpfResult::fail);
    EXPECT_EQ(fail.explanation, "");  // no exp=: RFC 7208 §6.2 allows an empty one
    EXPECT_EQ(check("203.0.113.99", "x", "bob@soft.example.org").result, SpfResult::softfail);
    EXPECT_EQ(check("203.0.113.99", "x", "bob@neutral.example.org").result, SpfResult::neutral);
    EXPECT_EQ(check("203.0.113.99", "x", "bob@other.example.org").result, SpfResult::none);
    EXPECT_EQ(check("203.0.113.99", "x", "bob@nowhere.example.org").result, SpfResult::none);
    EXPECT_EQ(check("198.51.100.7", "x", "bob@ptr.example.org").result, SpfResult::pass);    // PTR + A check
    EXPECT_EQ(check("::ffff:192.0.2.9", "x", "alice@example.org").result, SpfResult::pass);  // v4-mapped = v4
}

TEST_F(SpfEvaluatorTest, NullSenderChecksHeloIdentity) {
    auto pass = check("203.0.113.5", "helo.example.org", "");
    EXPECT_EQ(pass.result, SpfResult::pass);
    EXPECT_EQ(pass.identity, Identity::helo);
    EXPECT_EQ(pass.domain, "helo.example.org");
    EXPECT_EQ(pass.sender, "postmaster@helo.example.org");
    EXPECT_EQ(check("203.0.113.6", "helo.example.org", "").result, SpfResult::fail);
    // RFC 7208 §4.3: not an FQDN / an address literal -> none, nothing asked.
    const int before = dns_.asked();
    EXPECT_EQ(check("203.0.113.6", "[203.0.113.6]", "").result, SpfResult::none);
    EXPECT_EQ(check("203.0.113.6", "localhost", "").result, SpfResult::none);
    EXPECT_EQ(dns_.asked(), before);
}

TEST_F(SpfEvaluatorTest, DnsFailuresAreTemperror) {
    dns_.fail("broken.example.org", RecordType::txt, Status::servfail);
    auto top = check("192.0.2.9", "x", "a@broken.example.org");
    EXPECT_EQ(top.result, SpfResult::temperror);
    EXPECT_NE(top.problem.find("servfail"), std::string::npos) << top.problem;

    dns_.add("inc.example.org", RecordType::txt, {"v=spf1 include:slow.example.org -all"});
    dns_.fail("slow.example.org", RecordType::txt, Status::timeout);
    EXPECT_EQ(check("192.0.2.9", "x", "a@inc.example.org").result, SpfResult::temperror);

    dns_.add("amech.example.org", RecordType::txt, {"v=spf1 a:down.example.org -all"});
    dns_.fail("down.example.org", RecordType::a, Status::servfail);
    EXPECT_EQ(check("192.0.2.9", "x", "a@amech.example.org").result, SpfResult::temperror);
}

TEST_F(SpfEvaluatorTest, DeadlineEndsAHangingCheckWithTemperror) {
    dns_.add("hang.example.org", RecordType::txt, {"v=spf1 a:never.example.org -all"});
    dns_.hang("never.example.org");
    config_.timeout = 300ms;
    SpfEvaluator evaluator(dns_, config_);
    auto verdict = evaluator.evaluate_blocking({asio::ip::make_address("192.0.2.9"), "x", test::mailbox("a@hang.example.org")});
    EXPECT_EQ(verdict.result, SpfResult::temperror);
    EXPECT_EQ(evaluator.counters().deadline_exceeded.load(), 1u) << "the deadline, not the DNS answer, ended it";
}

TEST_F(SpfEvaluatorTest, VoidLookupLimit) {
    // RFC 7208 §4.6.4: a third name that does not exist -> permerror.
    dns_.add("voids.example.org", RecordType::txt,
             {"v=spf1 a:n1.example.org a:n2.example.org a:n3.example.org ip4:192.0.2.9 -all"});
    EXPECT_EQ(check("192.0.2.9", "x", "a@voids.example.org").result, SpfResult::permerror);
    dns_.add("two.example.org", RecordType::txt, {"v=spf1 a:n1.example.org a:n2.example.org ip4:192.0.2.9 -all"});
    EXPECT_EQ(check("192.0.2.9", "x", "a@two.example.org").result, SpfResult::pass);
}

TEST_F(SpfEvaluatorTest, QueryCapBoundsOneCheck) {
    std::string record = "v=spf1";
    for (int i = 0; i < 8; ++i) {
        record += " include:i" + std::to_string(i) + ".example.org";
        dns_.add("i" + std::to_string(i) + ".example.org", RecordType::txt, {"v=spf1 mx ?all"});
        dns_.add("i" + std::to_string(i) + ".example.org", RecordType::mx, {"10 mx.example.org"});
    }
    dns_.add("many.example.org", RecordType::txt, {record + " -all"});
    config_.max_queries = 5;
    SpfEvaluator evaluator(dns_, config_);
    auto verdict = evaluator.evaluate_blocking({asio::ip::make_address("192.0.2.77"), "x", test::mailbox("a@many.example.org")});
    // Our cap extends RFC 7208 §4.6.4's limits, whose breach is a permerror.
    EXPECT_EQ(verdict.result, SpfResult::permerror);
    EXPECT_EQ(verdict.dns_queries, 5);  // the 6th was never asked
    EXPECT_EQ(dns_.asked(), 5);
    EXPECT_EQ(evaluator.counters().query_cap.load(), 1u);
}

TEST_F(SpfEvaluatorTest, LoopbackClientsAreEvaluatedLikeAnyOther) {
    // libspf2 answered "pass" for 127.0.0.0/8 without asking DNS (issue 10).
    dns_.add("loop.example.org", RecordType::txt, {"v=spf1 ip4:127.0.10.1 -all"});
    EXPECT_EQ(check("127.0.10.1", "x", "a@loop.example.org").result, SpfResult::pass);
    EXPECT_EQ(check("127.0.0.1", "x", "a@loop.example.org").result, SpfResult::fail);
    EXPECT_EQ(check("::1", "x", "a@loop.example.org").result, SpfResult::fail);
    EXPECT_EQ(check("127.0.0.1", "x", "a@example.org").result, SpfResult::fail);
}

TEST_F(SpfEvaluatorTest, MxNamesAreAskedAtOnceAndAMatchEndsTheWait) {
    // Two MX names whose server never answers, then the client's: asked one by
    // one the check would hang on the first; asked together, the third matches.
    dns_.add("multi.example.org", RecordType::txt, {"v=spf1 mx -all"});
    dns_.add("multi.example.org", RecordType::mx, {"10 dead1.example.org", "20 dead2.example.org", "30 good.example.org"});
    dns_.hang("dead1.example.org");
    dns_.hang("dead2.example.org");
    dns_.add("good.example.org", RecordType::a, {"198.51.100.9"});
    config_.timeout = 24h;  // only the match can end the wait within the test
    auto verdict = check("198.51.100.9", "x", "a@multi.example.org");
    EXPECT_EQ(verdict.result, SpfResult::pass);
    EXPECT_EQ(verdict.dns_queries, 5);  // TXT, MX and the three A lookups
}

TEST_F(SpfEvaluatorTest, LimitsCountAcrossTheWholeEvaluation) {
    // RFC 7208 §4.6.4: ten DNS-querying terms in all, includes and redirects too.
    for (int i = 0; i < 11; ++i)
        dns_.add("n" + std::to_string(i) + ".example.org", RecordType::txt,
                 {"v=spf1 include:n" + std::to_string(i + 1) + ".example.org -all"});
    dns_.add("n11.example.org", RecordType::txt, {"v=spf1 +all"});
    auto eleven = check("192.0.2.9", "x", "a@n0.example.org");
    EXPECT_EQ(eleven.result, SpfResult::permerror);
    EXPECT_NE(eleven.problem.find("10 DNS-querying terms"), std::string::npos) << eleven.problem;
    EXPECT_EQ(check("192.0.2.9", "x", "a@n1.example.org").result, SpfResult::pass);  // exactly ten

    // More than ten MX names: permerror; more than ten PTR names: the rest ignored.
    std::vector<std::string> mx, ptr;
    for (int i = 0; i < 11; ++i) {
        mx.push_back(std::to_string(i) + " m" + std::to_string(i) + ".example.org");
        ptr.push_back("p" + std::to_string(i) + ".ptrs.example.org");
        dns_.add("p" + std::to_string(i) + ".ptrs.example.org", RecordType::a, {"198.51.100.44"});
    }
    dns_.add("mxs.example.org", RecordType::txt, {"v=spf1 mx ?all"});
    dns_.add("mxs.example.org", RecordType::mx, mx);
    EXPECT_EQ(check("198.51.100.44", "x", "a@mxs.example.org").result, SpfResult::permerror);
    dns_.add("44.100.51.198.in-addr.arpa", RecordType::ptr, ptr);
    dns_.add("ptrs.example.org", RecordType::txt, {"v=spf1 ptr -all"});
    auto ptrs = check("198.51.100.44", "x", "a@ptrs.example.org");
    EXPECT_EQ(ptrs.result, SpfResult::pass);
    EXPECT_EQ(ptrs.dns_queries, 1 + 1 + 10);  // TXT, PTR, the A lookups of ten names, not the eleventh
}

TEST_F(SpfEvaluatorTest, ExplanationComesFromTheDecidingRecord) {
    // §6.2: a redirect's exp= replaces ours; an include's is never used.
    dns_.add("red.example.org", RecordType::txt, {"v=spf1 redirect=target.example.org exp=ours.example.org"});
    dns_.add("target.example.org", RecordType::txt, {"v=spf1 -all exp=theirs.example.org"});
    dns_.add("ours.example.org", RecordType::txt, {"ours"});
    dns_.add("theirs.example.org", RecordType::txt, {"%{i} is not allowed by %{d} for %{s}"});
    EXPECT_EQ(check("192.0.2.9", "x", "a@red.example.org").explanation,
              "192.0.2.9 is not allowed by target.example.org for a@red.example.org");
    dns_.add("inc2.example.org", RecordType::txt, {"v=spf1 include:target.example.org -all exp=ours.example.org"});
    dns_.add("target2.example.org", RecordType::txt, {"v=spf1 +all exp=theirs.example.org"});
    EXPECT_EQ(check("192.0.2.9", "x", "a@inc2.example.org").explanation, "ours");
    dns_.add("badexp.example.org", RecordType::txt, {"v=spf1 -all exp=nowhere.example.org"});
    auto none = check("192.0.2.9", "x", "a@badexp.example.org");
    EXPECT_EQ(none.result, SpfResult::fail);
    EXPECT_EQ(none.explanation, "");  // no TXT there: as if there were no exp=
}

TEST_F(SpfEvaluatorTest, EvaluateResumesOnTheCallersExecutor) {
    SpfEvaluator evaluator(dns_, config_);
    asio::io_context io;
    std::optional<SpfVerdict> verdict;
    std::thread::id resumed_on;
    // A named lambda: its captures must outlive the coroutine.
    // The request is a named variable: GCC 12 mis-copies a braced temporary
    // passed by value to a coroutine inside co_await.
    SpfRequest request{asio::ip::make_address("192.0.2.9"), "x", test::mailbox("alice@example.org")};
    auto body = [&]() -> asio::awaitable<void> {
        verdict = co_await evaluator.evaluate(request);
        resumed_on = std::this_thread::get_id();
    };
    asio::co_spawn(io, body(), asio::detached);
    io.run();
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->result, SpfResult::pass);
    EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

TEST_F(SpfEvaluatorTest, CancelledCallerEndsTheCheckPromptly) {
    using namespace asio::experimental::awaitable_operators;
    dns_.add("hang.example.org", RecordType::txt, {"v=spf1 a:never.example.org -all"});
    dns_.hang("never.example.org");
    config_.timeout = 24h;  // only the caller's cancellation can end the check within the test
    SpfEvaluator evaluator(dns_, config_);
    asio::io_context io;
    bool timer_won = false;
    SpfRequest request{asio::ip::make_address("192.0.2.9"), "x", test::mailbox("a@hang.example.org")};
    auto body = [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(io, 200ms);
        auto which = co_await (evaluator.evaluate(request) ||
                               timer.async_wait(asio::use_awaitable));
        timer_won = which.index() == 1;
    };
    asio::co_spawn(io, body(), asio::detached);
    io.run_for(60s);  // a hang guard, not a speed limit
    EXPECT_TRUE(timer_won);
    EXPECT_TRUE(io.stopped()) << "the check kept running after its caller gave up";
}

}  // namespace
}  // namespace mxgate::filters::spf
