// DmarcFilter as the session drives it: an inspector fed the header fields, then
// finish() with the transaction's findings. Asserts the "dmarc" Finding policy
// sees (outcome, attrs, what its default rules answer), the From: count rule (RFC 7489 §6.6.1),
// several From: domains, lookups started at the From: field, and cancellation.
#include "filters/dmarc/dmarc_filter.hpp"
#include "filters/dmarc/dmarc_registration.hpp"

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tests/unit/filters/default_rules.hpp"
#include "tests/unit/filters/dns/scripted_resolver.hpp"
#include "tests/unit/filters/finding_attr.hpp"
#include "tests/unit/filters/greylist/memory_store.hpp"
#include "tests/unit/filters/message_inspection.hpp"
#include "tests/unit/filters/state/test_support.hpp"

namespace mxgate::filters::dmarc {
namespace {

namespace asio = boost::asio;
using dns::RecordType;
using mxgate::test::attr;
using namespace std::chrono_literals;

core::Finding spf_pass(const char* domain) {
    return {"spf", core::Outcome::pass, {{"identity", "mailfrom"}, {"domain", domain}}, ""};
}
core::Finding dkim_pass(const char* domain) { return {"dkim", core::Outcome::pass, {{"domain", domain}}, ""}; }

class DmarcFilterTest : public ::testing::Test {
protected:
    DmarcFilterTest() {
        dns_.add("_dmarc.example.org", RecordType::txt, {"v=DMARC1; p=reject"});
        dns_.add("_dmarc.quarantined.example", RecordType::txt, {"v=DMARC1; p=quarantine"});
        dns_.add("_dmarc.relaxed.example", RecordType::txt, {"v=DMARC1; p=none"});
        dns_.fail("_dmarc.flaky.example", RecordType::txt, dns::Status::servfail);
        dns_.hang("_dmarc.slow.example");
    }
    std::unique_ptr<DmarcFilter> make_filter() {
        return std::make_unique<DmarcFilter>(
            std::make_shared<const DmarcConfig>(config_), dns_,
            PublicSuffixList::shared("/usr/share/publicsuffix/public_suffix_list.dafsa").list, 7,
            config_.record_reports ? store_ : nullptr);
    }
    // One message with these header fields, after these findings; with `fate`,
    // what the session then made of it.
    std::vector<core::Finding> check(std::vector<std::string> fields, std::vector<core::Finding> findings = {},
                                     std::optional<MessageFate> fate = std::nullopt) {
        filter_ = make_filter();
        std::string message;
        for (const auto& field : fields) message += field;
        return test::inspect_whole_message(*filter_, message + "\r\nHello\r\n", std::move(findings), fate);
    }
    core::Finding one(std::vector<std::string> fields, std::vector<core::Finding> findings = {},
                      std::optional<MessageFate> fate = std::nullopt) {
        auto out = check(std::move(fields), std::move(findings), fate);
        EXPECT_EQ(out.size(), 1u);
        return out.empty() ? core::Finding{} : out.front();
    }

    // The rows concluded() appended (it does not wait for them: inspect_whole_message's
    // io.run() does).
    std::vector<std::string> rows() {
        asio::io_context io;
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        auto found = test::run_sync(io, store_->report_rows("dmarc", now - 1h, now + 1h, now));
        std::vector<std::string> out;
        if (found)
            for (const auto& row : *found) out.push_back(row.row);
        return out;
    }

    // What config_'s default rules answer `f` with: proceed when none meets it.
    std::string decided(const core::Finding& f) const {
        const auto rules = default_rules(config_);
        const auto* rule = test::first_match(rules, core::Stage::end_of_data, f);
        if (rule == nullptr) return "proceed";
        using Answer = core::DefaultRule::Answer;
        switch (rule->answer) {
            case Answer::proceed: return "proceed";
            case Answer::reject: return "reject";
            case Answer::tempfail: return "tempfail";
            case Answer::disconnect: return "disconnect";
            case Answer::quarantine: return "quarantine";
        }
        return "?";
    }
    // The reply they give `f`; "<none>" when they give none (proceed, quarantine).
    std::string reply(const core::Finding& f) const {
        const auto rules = default_rules(config_);
        const auto* rule = test::first_match(rules, core::Stage::end_of_data, f);
        if (rule == nullptr || rule->code == 0) return "<none>";
        return test::rendered_reply(*rule, {f});
    }

    test::ScriptedResolver dns_;
    std::shared_ptr<test::MemoryStore> store_ = std::make_shared<test::MemoryStore>();
    DmarcConfig config_;
    std::unique_ptr<DmarcFilter> filter_;
};

TEST_F(DmarcFilterTest, RejectPolicyFailIsRefusedNamingTheDomain) {
    const core::Finding f = one({"Subject: hi\r\n", "From: Boss <boss@Example.org>\r\n"}, {spf_pass("evil.example")});
    EXPECT_EQ(f.name, "dmarc");
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(f, "header_from"), "example.org");
    EXPECT_EQ(attr(f, "policy"), "reject");
    EXPECT_EQ(attr(f, "disposition"), "reject");
    EXPECT_EQ(attr(f, "spf_aligned"), "no");
    EXPECT_EQ(decided(f), "reject");
    EXPECT_EQ(attr(f, "shown_domain"), "example.org");
    EXPECT_EQ(reply(f), "550 5.7.1 DMARC policy of example.org refuses this message");
    EXPECT_EQ(attr(f, "auth_results"), "dmarc=fail header.from=example.org");
    EXPECT_EQ(filter_->counters().result(DmarcResult::fail), 1u);
}

TEST_F(DmarcFilterTest, AlignedSpfOrDkimPasses) {
    core::Finding f = one({"From: a@example.org\r\n"}, {spf_pass("bounces.example.org")});
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_EQ(decided(f), "proceed");
    EXPECT_EQ(reply(f), "<none>");
    EXPECT_EQ(attr(f, "auth_results"), "dmarc=pass header.from=example.org");
    f = one({"From: a@example.org\r\n"}, {dkim_pass("example.org")});
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(f, "dkim_aligned"), "yes");
}

TEST_F(DmarcFilterTest, QuarantineAndNonePolicies) {
    core::Finding f = one({"From: a@quarantined.example\r\n"});
    EXPECT_EQ(decided(f), "quarantine");
    EXPECT_EQ(reply(f), "<none>");  // the client gets the backend's 250
    EXPECT_EQ(attr(f, "disposition"), "quarantine");
    f = one({"From: a@relaxed.example\r\n"});
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(decided(f), "proceed");
    EXPECT_EQ(attr(f, "auth_results"), "dmarc=fail header.from=relaxed.example");
}

TEST_F(DmarcFilterTest, NoPolicyIsDmarcNone) {
    const core::Finding f = one({"From: a@nothing.example\r\n"});
    EXPECT_EQ(f.outcome, core::Outcome::none);
    EXPECT_EQ(attr(f, "policy"), "<none>");
    EXPECT_EQ(decided(f), "proceed");
    EXPECT_EQ(attr(f, "auth_results"), "dmarc=none header.from=nothing.example");
}

TEST_F(DmarcFilterTest, ServfailTempfailsOnlyAMessageFailingAlignment) {
    core::Finding f = one({"From: a@flaky.example\r\n"});
    EXPECT_EQ(f.outcome, core::Outcome::temperror);
    EXPECT_EQ(decided(f), "tempfail");
    EXPECT_EQ(reply(f), "451 4.7.1 DMARC policy of flaky.example unavailable, try again later");
    f = one({"From: a@flaky.example\r\n"}, {dkim_pass("flaky.example")});
    EXPECT_EQ(f.outcome, core::Outcome::temperror);
    EXPECT_EQ(decided(f), "proceed");
}

TEST_F(DmarcFilterTest, FromFieldCountIsRefused) {  // RFC 7489 §6.6.1
    core::Finding f = one({"From: a@example.org\r\n", "Subject: x\r\n", "FROM: b@example.org\r\n"});
    EXPECT_EQ(f.outcome, core::Outcome::permerror);
    EXPECT_EQ(attr(f, "error"), "multiple_from");
    EXPECT_EQ(decided(f), "reject");
    EXPECT_EQ(reply(f), "550 5.7.1 message must have exactly one From: field (RFC 7489 section 6.6.1)");
    EXPECT_EQ(attr(f, "auth_results"), "dmarc=permerror");
    f = one({"Subject: x\r\n", "Sender: a@example.org\r\n"});
    EXPECT_EQ(attr(f, "error"), "no_from");
    EXPECT_EQ(decided(f), "reject");
    EXPECT_EQ(filter_->counters().bad_from, 1u);
}

TEST_F(DmarcFilterTest, MalformedFromProceedsUnlessConfigured) {
    core::Finding f = one({"From: not an address\r\n"});
    EXPECT_EQ(f.outcome, core::Outcome::permerror);
    EXPECT_EQ(attr(f, "error"), "malformed_from");
    EXPECT_EQ(decided(f), "proceed");
    EXPECT_EQ(attr(one({"From: undisclosed-recipients:;\r\n"}), "error"), "malformed_from");
    config_.on_malformed_from = DmarcAction::reject;
    f = one({"From: a@b@example.org\r\n"});
    EXPECT_EQ(reply(f), "550 5.7.1 From: field has no valid address");
    config_.max_from_domains = 2;
    f = one({"From: a@one.example, b@two.example, c@three.example\r\n"});
    EXPECT_EQ(attr(f, "error"), "malformed_from");
    EXPECT_EQ(dns_.asked(), 0);
}

TEST_F(DmarcFilterTest, SeveralDomainsTheStrictestFailingPolicyDecides) {
    const core::Finding f = one({"From: a@relaxed.example, b@example.org, c@nothing.example\r\n"},
                                {spf_pass("relaxed.example")});
    EXPECT_EQ(f.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(f, "header_from"), "example.org");
    EXPECT_EQ(decided(f), "reject");
    EXPECT_EQ(attr(f, "domains"), "relaxed.example,example.org,nothing.example");
    EXPECT_EQ(filter_->counters().result(DmarcResult::pass), 1u);
    EXPECT_EQ(filter_->counters().result(DmarcResult::none), 1u);
}

TEST_F(DmarcFilterTest, InternationalizedDomainsAreLookedUpAsALabels) {
    dns_.add("_dmarc.xn--bcher-kva.example", RecordType::txt, {"v=DMARC1; p=reject"});
    core::Finding f = one({"From: J\xc3\xb6rg <j@B\xc3\x9c" "CHER.example>\r\n"}, {dkim_pass("xn--bcher-kva.example")});
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(f, "header_from"), "xn--bcher-kva.example");
    f = one({"From: j@b\xc3\xbc" "cher.example\r\n"});
    EXPECT_EQ(decided(f), "reject");
    f = one({"From: j@\xff.example\r\n"});  // not UTF-8: no name to look up
    EXPECT_EQ(f.outcome, core::Outcome::permerror);
    EXPECT_EQ(decided(f), "proceed");
}

TEST_F(DmarcFilterTest, OverriddenActions) {
    config_.on_reject_fail = DmarcAction::quarantine;
    config_.on_temperror = DmarcAction::proceed;
    EXPECT_EQ(decided(one({"From: a@example.org\r\n"})), "quarantine");
    EXPECT_EQ(decided(one({"From: a@flaky.example\r\n"})), "proceed");
}

TEST(DmarcDefaultRules, TheDefaults) {
    const auto rules = default_rules(DmarcConfig{});
    std::vector<std::string> names;
    for (const auto& rule : rules) names.push_back(rule.name);
    EXPECT_EQ(names, (std::vector<std::string>{"dmarc.on_reject_fail", "dmarc.on_temperror", "dmarc.on_temperror",
                                               "dmarc.on_quarantine_fail", "dmarc.on_from_count",
                                               "dmarc.on_from_count", "dmarc.temperror"}))
        << "on_none_fail and on_malformed_from proceed: no rule";
    for (const auto& rule : rules) EXPECT_EQ(rule.stage, core::Stage::end_of_data);
    EXPECT_EQ(rules[3].answer, core::DefaultRule::Answer::quarantine);
    EXPECT_EQ(rules[3].text, "{dmarc.reason}");
    EXPECT_EQ(rules[6].answer, core::DefaultRule::Answer::proceed);
    EXPECT_EQ(rules[6].outcomes, std::vector<core::Outcome>{core::Outcome::temperror});
}

TEST_F(DmarcFilterTest, AQuarantineKeepsTheReasonAsItsText) {
    const core::Finding f = one({"From: a@quarantined.example\r\n"});
    const auto rules = default_rules(config_);
    const auto* rule = test::first_match(rules, core::Stage::end_of_data, f);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->name, "dmarc.on_quarantine_fail");
    EXPECT_EQ(test::rendered(rule->text, {f}), f.reason);
}

TEST_F(DmarcFilterTest, TrustedClientsAreNotInspected) {
    filter_ = make_filter();
    TransactionView view;
    view.trusted = true;
    asio::io_context io;
    EXPECT_EQ(filter_->inspect_message(view, io.get_executor()), nullptr);
    EXPECT_EQ(filter_->counters().skipped, 1u);
    config_.skip_trusted = false;
    filter_ = make_filter();
    EXPECT_NE(filter_->inspect_message(view, io.get_executor()), nullptr);
}

TEST_F(DmarcFilterTest, LookupsStartWhenTheFromFieldArrives) {
    filter_ = make_filter();
    TransactionView view;
    asio::io_context io;
    auto inspector = filter_->inspect_message(view, io.get_executor());
    inspector->header_field("From: a@example.org\r\n");
    io.poll();  // the body still streaming
    EXPECT_EQ(dns_.asked(), 1);
}

TEST_F(DmarcFilterTest, ASlowPolicyIsATemperrorWithinTheTimeout) {
    config_.timeout = 200ms;
    const core::Finding f = one({"From: a@slow.example\r\n"});
    EXPECT_EQ(f.outcome, core::Outcome::temperror);
    EXPECT_EQ(decided(f), "tempfail");
}

TEST_F(DmarcFilterTest, CancelledFinishEndsAtOnceAndTheInspectorCanGo) {
    config_.timeout = 5min;
    filter_ = make_filter();
    TransactionView view;
    asio::io_context io;
    auto inspector = filter_->inspect_message(view, io.get_executor());
    inspector->header_field("From: a@slow.example\r\n");
    asio::cancellation_signal cancel;
    std::optional<std::size_t> findings;
    asio::co_spawn(io, inspector->finish(view),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, std::vector<core::Finding> f) {
                       if (!e) findings = f.size();
                   }));
    io.poll();
    cancel.emit(asio::cancellation_type::terminal);
    io.poll();
    EXPECT_EQ(findings, 0u);  // the chain reports timed_out()
    inspector.reset();
    io.run();  // returns: the lookups were cancelled, not left to their 5 min deadline
}

TEST_F(DmarcFilterTest, DestroyedWithLookupsPendingTheyEnd) {
    config_.timeout = 5min;  // were they not cancelled, io.run() would wait for this
    filter_ = make_filter();
    TransactionView view;
    asio::io_context io;
    auto inspector = filter_->inspect_message(view, io.get_executor());
    inspector->header_field("From: a@slow.example\r\n");
    io.poll();
    inspector.reset();
    io.run();
    EXPECT_EQ(dns_.asked(), 1);
}

TEST_F(DmarcFilterTest, TimedOutIsATemperrorThatOnTemperrorAnswers) {
    filter_ = make_filter();
    const auto findings = filter_->timed_out(core::Stage::end_of_data);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].outcome, core::Outcome::temperror);
    EXPECT_EQ(attr(findings[0], "error"), "timeout");
    EXPECT_EQ(attr(findings[0], "action"), "<none>");
    EXPECT_EQ(reply(findings[0]), "451 4.7.1 DMARC policy lookup timed out, try again later");
    config_.on_temperror = DmarcAction::quarantine;
    EXPECT_EQ(decided(findings[0]), "quarantine");
}

// ---- aggregate-report rows (record_reports) ----

TEST_F(DmarcFilterTest, ReportRowPerMessageWhoseDomainHasAPolicy) {
    config_.record_reports = true;
    // Each message then fares as DMARC asked.
    EXPECT_EQ(decided(one({"From: Boss <boss@Example.org>\r\n"}, {spf_pass("evil.example")}, MessageFate::refused)),
              "reject");
    EXPECT_EQ(decided(one({"From: a@example.org\r\n"}, {spf_pass("bounces.example.org"), dkim_pass("esp.example")},
                       MessageFate::delivered)), "proceed");
    EXPECT_EQ(decided(one({"From: a@quarantined.example\r\n"}, {}, MessageFate::quarantined)), "quarantine");
    EXPECT_EQ(decided(one({"From: a@relaxed.example\r\n"}, {}, MessageFate::delivered)), "proceed");
    const auto found = rows();
    ASSERT_EQ(found.size(), 4u);
    EXPECT_EQ(found[0], R"({"source_ip":"","header_from":"example.org","envelope_from":"evil.example",)"
                        R"("result":"fail","disposition":"reject","override":"","dkim_aligned":false,"spf_aligned":false,)"
                        R"("sampled_out":false,"policy":"reject","policy_domain":"example.org","spf_result":"pass",)"
                        R"("dkim":[]})");
    EXPECT_EQ(found[1], R"({"source_ip":"","header_from":"example.org","envelope_from":"bounces.example.org",)"
                        R"("result":"pass","disposition":"none","override":"","dkim_aligned":false,"spf_aligned":true,)"
                        R"("sampled_out":false,"policy":"reject","policy_domain":"example.org","spf_result":"pass",)"
                        R"("dkim":[{"domain":"esp.example","result":"pass"}]})");
    EXPECT_NE(found[2].find(R"("header_from":"quarantined.example","envelope_from":"","result":"fail",)"
                            R"("disposition":"quarantine","override":"")"), std::string::npos) << found[2];
    EXPECT_NE(found[3].find(R"("result":"fail","disposition":"none")"), std::string::npos) << found[3];
    EXPECT_NE(found[3].find(R"("policy":"none")"), std::string::npos) << found[3];
    EXPECT_EQ(filter_->counters().report_rows, 1u);  // per filter: the last message's
}

// The row names what was applied, not what DMARC asked: the policy may overrule it.
TEST_F(DmarcFilterTest, ReportRowNamesTheFinalDisposition) {
    config_.record_reports = true;
    one({"From: Boss <boss@example.org>\r\n"}, {spf_pass("evil.example")}, MessageFate::delivered);
    one({"From: a@relaxed.example\r\n"}, {}, MessageFate::refused);
    one({"From: Boss <boss@example.org>\r\n"}, {spf_pass("evil.example")});  // the session ended first
    one({"From: Boss <boss@example.org>\r\n"}, {spf_pass("evil.example")}, MessageFate::deferred);  // comes again
    const auto found = rows();
    ASSERT_EQ(found.size(), 2u);
    EXPECT_NE(found[0].find(R"("result":"fail","disposition":"none","override":"local_policy")"), std::string::npos)
        << found[0];
    EXPECT_NE(found[1].find(R"("disposition":"reject","override":"local_policy")"), std::string::npos) << found[1];
}

TEST_F(DmarcFilterTest, NoReportRowWithoutAPolicyOrForATempfailOrWhenOff) {
    config_.record_reports = true;
    one({"From: a@nothing.example\r\n"}, {}, MessageFate::delivered);   // no record: no one to report to
    one({"From: a@flaky.example\r\n"}, {}, MessageFate::deferred);      // 451: the retry is recorded
    one({"From: a@b.example\r\n", "From: c@example.org\r\n"}, {}, MessageFate::refused);
    config_.record_reports = false;
    one({"From: a@example.org\r\n"}, {}, MessageFate::delivered);
    EXPECT_TRUE(rows().empty());
}

TEST_F(DmarcFilterTest, AStoreThatFailsNeverFailsTheMessage) {
    config_.record_reports = true;
    store_->available = false;
    const core::Finding f = one({"From: a@example.org\r\n"}, {spf_pass("example.org")}, MessageFate::delivered);
    EXPECT_EQ(f.outcome, core::Outcome::pass);
    EXPECT_EQ(decided(f), "proceed");
    EXPECT_EQ(filter_->counters().report_row_errors, 1u);
    EXPECT_EQ(filter_->counters().report_rows, 0u);
}

}  // namespace
}  // namespace mxgate::filters::dmarc
