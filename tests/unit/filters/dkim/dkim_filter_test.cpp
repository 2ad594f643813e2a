// DkimFilter's inspector with a scripted resolver: one fixed signed message (its
// key in the fake DNS), what each DNS answer becomes, the max_signatures bound
// on lookups, the deadline, and a caller that gives up. The real key sizes,
// algorithms and canonicalizations run against nsd in
// tests/integration/native/filters/dkim/.
#include "filters/dkim/dkim_filter.hpp"
#include "filters/dkim/dkim_registration.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/unit/filters/dns/scripted_resolver.hpp"
#include "tests/unit/filters/message_inspection.hpp"

namespace mxgate::filters::dkim {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using core::Outcome;
using dns::RecordType;
using dns::Status;

// Signed by python3-dkim with t= in 2001 (no x=), so it never expires nor lies in the future.
constexpr std::string_view signature_field =
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net;\r\n"
    " i=@example.net; q=dns/txt; s=unit; t=1000000000; h=from : subject;\r\n"
    " bh=Ck5SoRNWUpSR4X0COv7R5ub2pUTtl6xz4dTFz++ji4M=;\r\n"
    " b=Mou7oosGysroz+ZRb8aMVwiDGLqmN2TCsVnWn72aAyG8TeESnd07hyrts+1A2Ydb7p2hZ\r\n"
    " CS4ufHpDPrAROVbE7bvE69PYwVE6878VfTi+e0fZHP9b86m2xO+jSsxVWSUm32LFo07Le0H\r\n"
    " RTOvuatRdz918w53k1avywwCsOcAUZ0=\r\n";
constexpr std::string_view unsigned_message = "From: a@example.net\r\nSubject: unit\r\n\r\nbody\r\n";
constexpr const char* key_name = "unit._domainkey.example.net";
constexpr const char* key_record =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC0azeJ2/xjnW658W4sTPb/AH66pNCbrS3hXtieoFEUSFvHxwj+60Sz"
    "saNycg611wSwMJukynODqLRIx1D97fBoETKR87f2/HF2ZgCo3+754XYVDyLUX+mlAk4jXHqExGX6HSXRqLg45FzMkMIujBg8pDDaREudsH0USZ9CF"
    "hpjQQIDAQAB";

std::string signed_message() { return std::string(signature_field) + std::string(unsigned_message); }

class DkimFilterTest : public ::testing::Test {
protected:
    DkimFilter& filter() {
        if (!filter_) filter_ = std::make_unique<DkimFilter>(std::make_shared<const DkimConfig>(config_), resolver_);
        return *filter_;
    }
    std::vector<core::Finding> verify(std::string_view message) { return test::inspect_whole_message(filter(), message); }

    test::ScriptedResolver resolver_;
    DkimConfig config_;
    std::unique_ptr<DkimFilter> filter_;
};

TEST_F(DkimFilterTest, SignedMessagePassesWithOneLookup) {
    resolver_.add(key_name, RecordType::txt, {key_record});
    const auto findings = verify(signed_message());
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::pass) << findings[0].reason;
    EXPECT_EQ(findings[0].attr("domain"), "example.net");
    EXPECT_EQ(findings[0].attr("selector"), "unit");
    EXPECT_EQ(findings[0].attr("key_bits"), "1024");
    EXPECT_EQ(findings[0].attr("b"), "Mou7oosG");
    EXPECT_EQ(findings[0].attr("auth_results"), "dkim=pass header.d=example.net header.s=unit header.b=Mou7oosG");
    EXPECT_EQ(resolver_.asked(), 1);
}

TEST_F(DkimFilterTest, DnsAnswersBecomeOutcomes) {
    struct Case {
        Status status;
        Outcome outcome;
    };
    for (const Case c : {Case{Status::nxdomain, Outcome::permerror}, Case{Status::nodata, Outcome::permerror},
                         Case{Status::servfail, Outcome::temperror}, Case{Status::timeout, Outcome::temperror}}) {
        test::ScriptedResolver resolver;
        resolver.fail(key_name, RecordType::txt, c.status);
        DkimFilter filter(std::make_shared<const DkimConfig>(config_), resolver);
        const auto findings = test::inspect_whole_message(filter, signed_message());
        ASSERT_EQ(findings.size(), 1u);
        EXPECT_EQ(findings[0].outcome, c.outcome) << dns::to_string(c.status) << ": " << findings[0].reason;
    }
}

TEST_F(DkimFilterTest, RevokedAndGarbageKeysArePermerrors) {
    resolver_.add(key_name, RecordType::txt, {"v=DKIM1; k=rsa; p="});
    auto findings = verify(signed_message());
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::permerror);
    EXPECT_NE(findings[0].reason.find("revoked"), std::string::npos) << findings[0].reason;

    filter_.reset();
    resolver_.add(key_name, RecordType::txt, {"v=spf1 -all"});
    findings = verify(signed_message());
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::permerror) << findings[0].reason;
}

// Nothing is asked for a field that cannot be verified, nor for a key name that is no DNS name.
TEST_F(DkimFilterTest, UnusableSignatureFieldsAskNothing) {
    resolver_.add(key_name, RecordType::txt, {key_record});
    struct Case {
        std::string from, to;
        Outcome outcome;
    };
    for (const auto& c : {Case{" d=example.net;", " d=;", Outcome::neutral},
                          Case{"a=rsa-sha256", "a=rsa-md5", Outcome::neutral},
                          Case{"s=unit;", "s=un!t;", Outcome::permerror}}) {
        std::string message = signed_message();
        message.replace(message.find(c.from), c.from.size(), c.to);
        const auto findings = verify(message);
        ASSERT_EQ(findings.size(), 1u) << c.to;
        EXPECT_EQ(findings[0].outcome, c.outcome) << c.to << ": " << findings[0].reason;
    }
    EXPECT_EQ(resolver_.asked(), 0);
}

TEST_F(DkimFilterTest, UnsignedMessageAsksNothing) {
    const auto findings = verify(unsigned_message);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::none);
    EXPECT_EQ(findings[0].attr("auth_results"), "dkim=none");
    EXPECT_EQ(resolver_.asked(), 0);
}

// 50 signature fields, each naming its own selector: only max_signatures keys are
// fetched, the rest are reported once.
TEST_F(DkimFilterTest, FiftySignaturesCostAtMostMaxSignaturesLookups) {
    std::string message;
    for (int i = 0; i < 50; ++i) {
        std::string field(signature_field);
        field.replace(field.find("s=unit"), 6, "s=k" + std::to_string(i));
        message += field;
    }
    message += unsigned_message;
    const auto findings = verify(message);
    EXPECT_EQ(resolver_.asked(), config_.max_signatures);
    ASSERT_EQ(findings.size(), static_cast<std::size_t>(config_.max_signatures) + 1);
    for (int i = 0; i < config_.max_signatures; ++i) {
        EXPECT_EQ(findings[i].outcome, Outcome::permerror) << findings[i].reason;  // nxdomain
        EXPECT_EQ(findings[i].attr("selector"), "k" + std::to_string(i));
    }
    EXPECT_EQ(findings.back().outcome, Outcome::skipped);
    EXPECT_EQ(findings.back().attr("not_evaluated"), "45");
    EXPECT_EQ(findings.back().attr("auth_results"), "");
    EXPECT_EQ(filter().counters().not_evaluated.load(), 45u);
}

TEST_F(DkimFilterTest, DuplicateKeyNamesAreAskedOnce) {
    resolver_.add(key_name, RecordType::txt, {key_record});
    const auto findings = verify(std::string(signature_field) + signed_message());
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].outcome, Outcome::pass);
    EXPECT_EQ(findings[1].outcome, Outcome::pass);
    EXPECT_EQ(resolver_.asked(), 1);
}

TEST_F(DkimFilterTest, KeyNotFetchedByTheDeadlineIsTemperror) {
    resolver_.hang(key_name);
    config_.timeout = 100ms;
    const auto findings = verify(signed_message());
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::temperror);
    EXPECT_NE(findings[0].reason.find("timed out"), std::string::npos) << findings[0].reason;
}

// The budget starts at the end of the header: a client slow to send it costs the lookups nothing.
TEST_F(DkimFilterTest, KeyBudgetStartsAtTheEndOfTheHeader) {
    resolver_.add(key_name, RecordType::txt, {key_record});
    config_.timeout = 300ms;
    asio::io_context io;
    TransactionView view;
    auto inspector = filter().inspect_message(view, io.get_executor());
    inspector->header_field(signature_field);
    std::this_thread::sleep_for(400ms);  // the time under test: longer than the budget
    inspector->header_field("From: a@example.net\r\n");
    inspector->header_field("Subject: unit\r\n");
    inspector->end_of_header();
    inspector->body("body\r\n");
    auto done = asio::co_spawn(io, inspector->finish(view), asio::use_future);
    io.run();
    const auto findings = done.get();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, Outcome::pass) << findings[0].reason;
}

// The chain's stage deadline cancels finish(): it ends at once, with the lookup still waiting.
TEST_F(DkimFilterTest, CancelledFinishEndsAtOnce) {
    using namespace asio::experimental::awaitable_operators;
    resolver_.hang(key_name);
    config_.timeout = 1h;
    asio::io_context io;
    TransactionView view;
    auto inspector = filter().inspect_message(view, io.get_executor());
    test::feed_message(*inspector, signed_message());
    bool cancelled_first = false;
    bool done = false;
    auto race = [&]() -> asio::awaitable<void> {
        asio::steady_timer stage_deadline(io, 20ms);
        auto result = co_await (inspector->finish(view) || stage_deadline.async_wait(asio::use_awaitable));
        cancelled_first = result.index() == 1;
        done = true;
    };
    asio::co_spawn(io, race(), asio::detached);
    while (!done && io.run_one() > 0) {
    }
    EXPECT_TRUE(done);
    EXPECT_TRUE(cancelled_first);
}

TEST_F(DkimFilterTest, ContentFilterOnly) {
    EXPECT_TRUE(filter().valid());
    EXPECT_FALSE(filter().runs_at(core::Stage::end_of_data));
    const auto timed_out = filter().timed_out(core::Stage::end_of_data);
    ASSERT_EQ(timed_out.size(), 1u);
    EXPECT_EQ(timed_out[0].outcome, Outcome::temperror);
    EXPECT_EQ(timed_out[0].name, "dkim");
    const auto rules = default_rules(filter().config());
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].name, "dkim.temperror");
    EXPECT_EQ(rules[0].stage, core::Stage::end_of_data);
    EXPECT_EQ(rules[0].finding, "dkim");
    EXPECT_EQ(rules[0].outcomes, std::vector<Outcome>{Outcome::temperror});
    EXPECT_EQ(rules[0].answer, core::DefaultRule::Answer::proceed) << "a DKIM temperror fails open";
}

}  // namespace
}  // namespace mxgate::filters::dkim
