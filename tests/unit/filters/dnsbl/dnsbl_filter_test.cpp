// DnsblFilter and FCrDNS over a scripted resolver: what policy sees per stage
// (findings "dnsbl.<name>", "dnswl.<name>", "fcrdns"), and the timing rules: the
// lists of a stage are asked at once, and a list that never answers costs its own
// timeout and delays no other list.
#include "filters/dnsbl/dnsbl_filter.hpp"
#include "filters/dnsbl/dnsbl_registration.hpp"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "tests/unit/filters/default_rules.hpp"
#include "tests/unit/filters/dns/scripted_resolver.hpp"
#include "tests/unit/filters/dnsbl/dns_list.hpp"
#include "tests/unit/filters/finding_attr.hpp"
#include "tests/unit/filters/mailbox.hpp"

namespace {

namespace bl = mxgate::filters::dnsbl;
namespace f = mxgate::filters;
namespace core = mxgate::core;
namespace ip = boost::asio::ip;
using namespace std::chrono_literals;
using mxgate::test::ScriptedResolver;
using RT = mxgate::filters::dns::RecordType;
using St = mxgate::filters::dns::Status;
using Findings = std::vector<core::Finding>;

// Runs task to its end. hang_guard only turns a test that would wait forever
// into a failure; no test asserts how fast anything ran.
template <class T>
T run(boost::asio::awaitable<T> task, std::chrono::seconds hang_guard = 60s) {
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    io.run_for(hang_guard);
    if (done.wait_for(0s) != std::future_status::ready) throw std::runtime_error("still running after the hang guard");
    return done.get();
}

using mxgate::test::attr;
using mxgate::test::dns_list;

std::vector<std::string> names(const Findings& findings) {
    std::vector<std::string> out;
    for (const auto& finding : findings) out.push_back(finding.name);
    return out;
}

class DnsblFilterTest : public ::testing::Test {
protected:
    void SetUp() override { config_.fcrdns.enabled = false; }
    // client nullptr = unknown (XCLIENT ADDR=[UNAVAILABLE])
    Findings inspect(core::Stage stage, const char* client = "192.0.2.99", std::string_view helo = "",
                     std::string_view sender = "", bool trusted = false) {
        filter_ = std::make_unique<bl::DnsblFilter>(std::make_shared<const bl::DnsblConfig>(config_), resolver_);
        f::TransactionView view;
        if (client != nullptr) view.client_address = ip::make_address(client);
        view.helo = helo;
        view.sender = mxgate::test::mailbox(sender);
        view.trusted = trusted;
        return run(filter_->inspect(stage, view));
    }

    ScriptedResolver resolver_;
    bl::DnsblConfig config_;
    std::unique_ptr<bl::DnsblFilter> filter_;
};

// The postscreen-style table: one client, one list each, what the finding says.
TEST_F(DnsblFilterTest, IpListCases) {
    struct Case {
        const char* what;
        bl::DnsList list;
        std::function<void(ScriptedResolver&)> zone;  // answers for 99.2.0.192.<zone>
        core::Outcome outcome;
        const char* codes;
        const char* listed;
        const char* score;
    };
    const std::string q = "99.2.0.192.bl.example";
    auto with = [](bl::DnsList l, auto edit) {
        edit(l);
        return l;
    };
    const Case cases[] = {
        {"listed", dns_list("bl", "bl.example"), [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.0.2"}); },
         core::Outcome::fail, "127.0.0.2", "yes", "1"},
        {"not listed (NXDOMAIN)", dns_list("bl", "bl.example"), [](ScriptedResolver&) {}, core::Outcome::pass, "",
         "no", "0"},
        {"not listed (NODATA)", dns_list("bl", "bl.example"),
         [&](ScriptedResolver& r) { r.fail(q, RT::a, St::nodata); }, core::Outcome::pass, "", "no", "0"},
        {"multiple codes", with(dns_list("bl", "bl.example"), [](auto& l) { l.weight = 5; }),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.0.4", "127.0.0.2"}); }, core::Outcome::fail,
         "127.0.0.2,127.0.0.4", "yes", "5"},
        {"expected codes only", with(dns_list("bl", "bl.example"), [](auto& l) { l.codes = {"127.0.0.4"}; }),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.0.4", "127.0.0.2"}); }, core::Outcome::fail, "127.0.0.4",
         "yes", "1"},
        {"unexpected code", with(dns_list("bl", "bl.example"), [](auto& l) { l.codes = {"127.0.0.4"}; }),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.0.10"}); }, core::Outcome::pass, "", "no", "0"},
        {"bitmask hit", with(dns_list("bl", "bl.example"), [](auto& l) { l.bitmask = 0x8; }),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.0.10"}); }, core::Outcome::fail, "127.0.0.10", "yes", "1"},
        {"bitmask miss", with(dns_list("bl", "bl.example"), [](auto& l) { l.bitmask = 0x4; }),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.0.10"}); }, core::Outcome::pass, "", "no", "0"},
        {"answer outside 127/8: broken list", dns_list("bl", "bl.example"),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"192.0.2.1"}); }, core::Outcome::temperror, "", "no", "0"},
        {"error code 127.255.255.254", dns_list("bl", "bl.example"),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.255.255.254"}); }, core::Outcome::temperror, "", "no", "0"},
        {"servfail", dns_list("bl", "bl.example"), [&](ScriptedResolver& r) { r.fail(q, RT::a, St::servfail); },
         core::Outcome::temperror, "", "no", "0"},
        {"resolver timeout", dns_list("bl", "bl.example"), [&](ScriptedResolver& r) { r.fail(q, RT::a, St::timeout); },
         core::Outcome::temperror, "", "no", "0"},
        {"allow list hit", with(dns_list("bl", "bl.example"), [](auto& l) { l.allow = true; l.weight = -3; }),
         [&](ScriptedResolver& r) { r.add(q, RT::a, {"127.0.10.0"}); }, core::Outcome::pass, "127.0.10.0", "yes", "-3"},
        {"allow list miss", with(dns_list("bl", "bl.example"), [](auto& l) { l.allow = true; l.weight = -3; }),
         [](ScriptedResolver&) {}, core::Outcome::none, "", "no", "0"},
    };
    for (const auto& c : cases) {
        resolver_.reset();
        c.zone(resolver_);
        config_.lists = {c.list};
        const auto findings = inspect(core::Stage::connect);
        ASSERT_EQ(findings.size(), 1u) << c.what;
        const auto& finding = findings[0];
        EXPECT_EQ(finding.name, c.list.allow ? "dnswl.bl" : "dnsbl.bl") << c.what;
        EXPECT_EQ(finding.outcome, c.outcome) << c.what << ": " << finding.reason;
        EXPECT_EQ(attr(finding, "zone"), "bl.example") << c.what;
        EXPECT_EQ(attr(finding, "query"), q) << c.what;
        EXPECT_EQ(attr(finding, "codes"), c.codes) << c.what;
        EXPECT_EQ(attr(finding, "listed"), c.listed) << c.what;
        EXPECT_EQ(attr(finding, "weight"), std::to_string(c.list.weight)) << c.what;
        EXPECT_EQ(attr(finding, "score"), c.score) << c.what;
    }
}

TEST_F(DnsblFilterTest, ListedReasonComesFromTxt) {
    resolver_.add("99.2.0.192.bl.example", RT::a, {"127.0.0.2"});
    resolver_.add("99.2.0.192.bl.example", RT::txt, {"Listed\r\nsee https://bl.example/q?192.0.2.99"});
    config_.lists = {dns_list("bl", "bl.example")};
    const auto findings = inspect(core::Stage::connect);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].reason, "listed: Listed\\x0d\\x0asee https://bl.example/q?192.0.2.99");

    config_.lists[0].fetch_reason = false;  // not asked at all
    const int txt_asked = resolver_.asked("99.2.0.192.bl.example", RT::txt);
    EXPECT_EQ(inspect(core::Stage::connect)[0].reason, "listed");
    EXPECT_EQ(resolver_.asked("99.2.0.192.bl.example", RT::txt), txt_asked);
}

TEST_F(DnsblFilterTest, Ipv6NibblesAndIpv4OnlyLists) {
    const std::string nibbles = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2";
    resolver_.add(nibbles + ".bl6.example", RT::a, {"127.0.0.2"});
    auto v4only = dns_list("v4", "v4.example");
    v4only.ipv6 = false;
    config_.lists = {dns_list("bl6", "bl6.example"), v4only};
    const auto findings = inspect(core::Stage::connect, "2001:db8::1");
    ASSERT_EQ(names(findings), (std::vector<std::string>{"dnsbl.bl6"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::fail);
    EXPECT_EQ(attr(findings[0], "query"), nibbles + ".bl6.example");
    EXPECT_EQ(filter_->counters().skipped, 1u);
    // A v4-mapped client is an IPv4 client, also for the IPv4-only list.
    const auto mapped = inspect(core::Stage::connect, "::ffff:192.0.2.99");
    ASSERT_EQ(names(mapped), (std::vector<std::string>{"dnsbl.bl6", "dnsbl.v4"}));
    EXPECT_EQ(attr(mapped[1], "query"), "99.2.0.192.v4.example");
}

TEST_F(DnsblFilterTest, ListsAreAskedConcurrently) {
    for (const char* zone : {"a.example", "b.example", "c.example"})
        resolver_.add(std::string("99.2.0.192.") + zone, RT::a, {"127.0.0.2"}, 200ms);
    config_.lists = {dns_list("a", "a.example"), dns_list("b", "b.example"), dns_list("c", "c.example")};
    for (auto& l : config_.lists) l.fetch_reason = false;
    const auto findings = inspect(core::Stage::connect);
    EXPECT_EQ(names(findings), (std::vector<std::string>{"dnsbl.a", "dnsbl.b", "dnsbl.c"}));
    EXPECT_EQ(resolver_.max_in_flight(), 3) << "the lists were asked one after the other";
}

TEST_F(DnsblFilterTest, DeadListCostsOnlyItsOwnTimeout) {
    resolver_.hang("99.2.0.192.dead.example", RT::a);
    resolver_.add("99.2.0.192.slow.example", RT::a, {"127.0.0.2"}, 100ms);
    resolver_.hang("99.2.0.192.slow.example", RT::txt);  // even the reason never comes
    auto dead = dns_list("dead", "dead.example");
    dead.timeout = 300ms;
    auto slow = dns_list("slow", "slow.example");
    slow.timeout = 250ms;
    config_.lists = {dead, slow, dns_list("fast", "fast.example")};
    const auto findings = inspect(core::Stage::connect);
    ASSERT_EQ(names(findings), (std::vector<std::string>{"dnsbl.dead", "dnsbl.slow", "dnsbl.fast"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::temperror);
    EXPECT_EQ(findings[0].reason, "no answer: timeout");
    EXPECT_EQ(findings[1].outcome, core::Outcome::fail);
    EXPECT_EQ(findings[1].reason, "listed");  // the TXT ran out of the list's budget
    EXPECT_EQ(findings[2].outcome, core::Outcome::pass);
    // Both hanging questions ended by their own list's budget, asked side by side.
    EXPECT_EQ(resolver_.cancelled(), 2);
    EXPECT_EQ(resolver_.max_in_flight(), 3);
    EXPECT_EQ(filter_->counters().unanswered, 1u);
    EXPECT_EQ(filter_->counters().listed, 1u);
    EXPECT_EQ(filter_->counters().not_listed, 1u);
}

TEST_F(DnsblFilterTest, HeloLists) {
    resolver_.add("spam.example.org.rhsbl.example", RT::a, {"127.0.1.2"});
    config_.lists = {dns_list("rhsbl", "rhsbl.example", bl::ListType::helo), dns_list("zen", "zen.example")};
    EXPECT_TRUE(filter_ == nullptr);
    auto findings = inspect(core::Stage::helo, "192.0.2.99", "Spam.Example.ORG.");
    ASSERT_EQ(names(findings), (std::vector<std::string>{"dnsbl.rhsbl"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::fail);
    EXPECT_EQ(attr(findings[0], "query"), "spam.example.org.rhsbl.example");
    EXPECT_TRUE(filter_->runs_at(core::Stage::helo));
    EXPECT_FALSE(filter_->runs_at(core::Stage::mail_from));
    EXPECT_TRUE(filter_->runs_at(core::Stage::rcpt));  // the score decision
    // Address literals and bare words are not asked.
    const int asked = resolver_.asked();
    EXPECT_TRUE(inspect(core::Stage::helo, "192.0.2.99", "[192.0.2.99]").empty());
    EXPECT_TRUE(inspect(core::Stage::helo, "192.0.2.99", "localhost").empty());
    EXPECT_EQ(resolver_.asked(), asked);
}

TEST_F(DnsblFilterTest, SenderDomainLists) {
    resolver_.add("bad.example.dbl.example", RT::a, {"127.0.1.2"});
    resolver_.add("bad.example.wl.example", RT::a, {"127.0.0.2"});
    auto wl = dns_list("wl", "wl.example", bl::ListType::sender_domain);
    wl.allow = true;
    wl.weight = -2;
    config_.lists = {dns_list("dbl", "dbl.example", bl::ListType::sender_domain), wl};
    auto findings = inspect(core::Stage::mail_from, "192.0.2.99", "mx.example", "joe@Bad.Example");
    ASSERT_EQ(names(findings), (std::vector<std::string>{"dnsbl.dbl", "dnswl.wl"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::fail);
    EXPECT_EQ(findings[1].outcome, core::Outcome::pass);
    EXPECT_EQ(attr(findings[1], "score"), "-2");
    EXPECT_TRUE(inspect(core::Stage::mail_from, "192.0.2.99", "mx.example", "").empty());  // <>
}

TEST_F(DnsblFilterTest, TrustedClientsAreNotLooked) {
    config_.lists = {dns_list("zen", "zen.example"), dns_list("dbl", "dbl.example", bl::ListType::sender_domain)};
    config_.fcrdns.enabled = true;
    resolver_.add("99.2.0.192.in-addr.arpa", RT::ptr, {"mx.example.org"});
    resolver_.add("mx.example.org", RT::a, {"192.0.2.99"});
    auto findings = inspect(core::Stage::connect, "192.0.2.99", "", "", true);
    EXPECT_EQ(names(findings), (std::vector<std::string>{"fcrdns"}));  // still known for Received:
    EXPECT_TRUE(inspect(core::Stage::mail_from, "192.0.2.99", "", "a@b.example", true).empty());
    EXPECT_EQ(resolver_.asked("99.2.0.192.zen.example", RT::a), 0);
}

TEST_F(DnsblFilterTest, UnknownClientIsLookedUpInNoAddressList) {
    config_.lists = {dns_list("zen", "zen.example"), dns_list("rdns", "rdns.example", bl::ListType::rdns),
                     dns_list("helo", "helo.example", bl::ListType::helo)};
    config_.fcrdns.enabled = true;
    auto findings = inspect(core::Stage::connect, nullptr);
    ASSERT_EQ(names(findings), (std::vector<std::string>{"fcrdns"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::none);
    EXPECT_EQ(findings[0].reason, "client address unknown");
    EXPECT_EQ(resolver_.asked(), 0) << "no PTR and no list query for an unknown address";
    resolver_.add("bad.example.helo.example", RT::a, {"127.0.0.2"});
    findings = inspect(core::Stage::helo, nullptr, "bad.example");
    ASSERT_EQ(names(findings), (std::vector<std::string>{"dnsbl.helo"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::fail) << "name-based lists still apply";
}

TEST_F(DnsblFilterTest, RdnsListsUseTheConfirmedName) {
    config_.fcrdns.enabled = true;
    config_.lists = {dns_list("zen", "zen.example"), dns_list("dbl", "dbl.example", bl::ListType::rdns)};
    resolver_.add("99.2.0.192.in-addr.arpa", RT::ptr, {"Dyn-192-0-2-99.Pool.Example"});
    resolver_.add("dyn-192-0-2-99.pool.example", RT::a, {"192.0.2.99"});
    resolver_.add("dyn-192-0-2-99.pool.example.dbl.example", RT::a, {"127.0.1.2"});
    auto findings = inspect(core::Stage::connect);
    ASSERT_EQ(names(findings), (std::vector<std::string>{"fcrdns", "dnsbl.zen", "dnsbl.dbl"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::pass);
    EXPECT_EQ(attr(findings[0], "name"), "dyn-192-0-2-99.pool.example");
    EXPECT_EQ(bl::confirmed_name(findings), "dyn-192-0-2-99.pool.example");
    EXPECT_EQ(findings[2].outcome, core::Outcome::fail);
    // Unconfirmed PTR: the rDNS list is not asked.
    resolver_.reset();
    resolver_.add("99.2.0.192.in-addr.arpa", RT::ptr, {"forged.example"});
    resolver_.add("forged.example", RT::a, {"198.51.100.1"});
    findings = inspect(core::Stage::connect);
    EXPECT_EQ(names(findings), (std::vector<std::string>{"fcrdns", "dnsbl.zen"}));
    EXPECT_EQ(findings[0].outcome, core::Outcome::fail);
    EXPECT_EQ(bl::confirmed_name(findings), std::nullopt);
    EXPECT_EQ(resolver_.asked("forged.example.dbl.example", RT::a), 0);
}

// FCrDNS alone, as a table.
TEST(Fcrdns, Cases) {
    struct Case {
        const char* what;
        const char* client;
        std::function<void(ScriptedResolver&)> dns;
        core::Outcome outcome;
        const char* name;
    };
    const std::string ptr4 = "99.2.0.192.in-addr.arpa";
    const std::string ptr6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    const Case cases[] = {
        {"confirmed", "192.0.2.99",
         [&](ScriptedResolver& r) {
             r.add(ptr4, RT::ptr, {"mx.example.org"});
             r.add("mx.example.org", RT::a, {"192.0.2.1", "192.0.2.99"});
         },
         core::Outcome::pass, "mx.example.org"},
        {"second name confirms", "192.0.2.99",
         [&](ScriptedResolver& r) {
             r.add(ptr4, RT::ptr, {"other.example", "mx.example.org"});
             r.add("other.example", RT::a, {"198.51.100.7"});
             r.add("mx.example.org", RT::a, {"192.0.2.99"});
         },
         core::Outcome::pass, "mx.example.org"},
        {"maps elsewhere", "192.0.2.99",
         [&](ScriptedResolver& r) {
             r.add(ptr4, RT::ptr, {"mx.example.org"});
             r.add("mx.example.org", RT::a, {"192.0.2.98"});
         },
         core::Outcome::fail, ""},
        {"name does not exist", "192.0.2.99", [&](ScriptedResolver& r) { r.add(ptr4, RT::ptr, {"gone.example"}); },
         core::Outcome::fail, ""},
        {"no PTR", "192.0.2.99", [](ScriptedResolver&) {}, core::Outcome::none, ""},
        {"PTR servfail", "192.0.2.99", [&](ScriptedResolver& r) { r.fail(ptr4, RT::ptr, St::servfail); },
         core::Outcome::temperror, ""},
        {"PTR never answers", "192.0.2.99", [&](ScriptedResolver& r) { r.hang(ptr4, RT::ptr); },
         core::Outcome::temperror, ""},
        {"forward lookup fails", "192.0.2.99",
         [&](ScriptedResolver& r) {
             r.add(ptr4, RT::ptr, {"mx.example.org"});
             r.fail("mx.example.org", RT::a, St::servfail);
         },
         core::Outcome::temperror, ""},
        {"confirmed while another name hangs", "192.0.2.99",
         [&](ScriptedResolver& r) {
             r.add(ptr4, RT::ptr, {"hang.example", "mx.example.org"});
             r.hang("hang.example", RT::a);
             r.add("mx.example.org", RT::a, {"192.0.2.99"});
         },
         core::Outcome::pass, "mx.example.org"},
        {"unusable PTR name", "192.0.2.99", [&](ScriptedResolver& r) { r.add(ptr4, RT::ptr, {"bad name"}); },
         core::Outcome::fail, ""},
        {"IPv6 via AAAA", "2001:db8::1",
         [&](ScriptedResolver& r) {
             r.add(ptr6, RT::ptr, {"mx6.example.org"});
             r.add("mx6.example.org", RT::a, {"192.0.2.99"});
             r.add("mx6.example.org", RT::aaaa, {"2001:db8::1"});
         },
         core::Outcome::pass, "mx6.example.org"},
        {"IPv6 with A only", "2001:db8::1",
         [&](ScriptedResolver& r) {
             r.add(ptr6, RT::ptr, {"mx6.example.org"});
             r.add("mx6.example.org", RT::a, {"192.0.2.99"});
         },
         core::Outcome::fail, ""},
    };
    bl::FcrdnsConfig config;
    config.timeout = 300ms;
    for (const auto& c : cases) {
        ScriptedResolver resolver;
        c.dns(resolver);
        const auto result = run(bl::check_fcrdns(resolver, ip::make_address(c.client), config));
        EXPECT_EQ(result.outcome, c.outcome) << c.what << ": " << result.reason;
        EXPECT_EQ(result.name, c.name) << c.what;
        const auto finding = bl::to_finding(result);
        EXPECT_EQ(finding.name, "fcrdns");
        EXPECT_EQ(attr(finding, "name"), *c.name ? c.name : "<none>") << c.what;
    }
}

TEST(Fcrdns, ConfirmedNameDoesNotWaitForAHangingName) {
    ScriptedResolver resolver;
    resolver.add("99.2.0.192.in-addr.arpa", RT::ptr, {"hang.example", "mx.example.org"});
    resolver.hang("hang.example", RT::a);
    resolver.add("mx.example.org", RT::a, {"192.0.2.99"}, 20ms);
    bl::FcrdnsConfig config;
    config.timeout = 24h;  // no test outlives it: finishing at all means the confirmed name ended the check
    const auto result = run(bl::check_fcrdns(resolver, ip::make_address("192.0.2.99"), config));
    EXPECT_EQ(result.outcome, core::Outcome::pass);
    EXPECT_EQ(resolver.cancelled(), 1);
}

TEST(Fcrdns, AtMostMaxNamesAreChecked) {
    ScriptedResolver resolver;
    std::vector<std::string> ptr;
    for (int i = 0; i < 12; ++i) {
        ptr.push_back("n" + std::to_string(i) + ".example");
        resolver.add(ptr.back(), RT::a, {i == 11 ? "192.0.2.99" : "198.51.100.1"}, 10ms);  // the 12th would confirm
    }
    resolver.add("99.2.0.192.in-addr.arpa", RT::ptr, ptr);
    bl::FcrdnsConfig config;
    const auto result = run(bl::check_fcrdns(resolver, ip::make_address("192.0.2.99"), config));
    EXPECT_EQ(result.outcome, core::Outcome::fail);
    EXPECT_EQ(result.ptr_names.size(), 10u);
    EXPECT_EQ(resolver.asked("n10.example", RT::a), 0);
    EXPECT_EQ(resolver.max_in_flight(), 10);  // the forward lookups ran at once
}

// ---- the RCPT decision: the weights of the earlier findings against reject_score ----

class DnsblDecisionTest : public DnsblFilterTest {
protected:
    Findings decide(const Findings& earlier, const char* sender = "a@spam.example") {
        filter_ = std::make_unique<bl::DnsblFilter>(std::make_shared<const bl::DnsblConfig>(config_), resolver_);
        f::TransactionView view;
        view.client_address = ip::make_address("192.0.2.99");
        view.sender = mxgate::test::mailbox(sender);
        view.findings = &earlier;
        return run(filter_->inspect(core::Stage::rcpt, view));
    }
    // The reply config_'s default rules give the RCPT finding; "" when none answers it.
    std::string reply(const core::Finding& found) const {
        const auto rules = bl::default_rules(config_);
        const auto* rule = mxgate::test::first_match(rules, core::Stage::rcpt, found);
        return rule ? mxgate::test::rendered_reply(*rule, {found}) : "";
    }
    static core::Finding listed(std::string name, int weight, std::string reason = "listed") {
        return {std::move(name), core::Outcome::fail, {{"listed", "yes"}, {"score", std::to_string(weight)}}, reason};
    }
};

TEST_F(DnsblDecisionTest, ListedAtThresholdRejectsNamingListAndReason) {
    config_.lists = {dns_list("zen", "zen.example")};
    const Findings found = decide({listed("dnsbl.zen", 1, "listed: see https://zen.example/q?ip=192.0.2.99")});
    ASSERT_EQ(names(found), (std::vector<std::string>{"dnsbl"}));
    EXPECT_EQ(found[0].outcome, core::Outcome::fail);
    EXPECT_EQ(attr(found[0], "blocked"), "client [192.0.2.99]");
    EXPECT_EQ(attr(found[0], "zone"), "zen.example");
    EXPECT_EQ(attr(found[0], "list_text"), "; see https://zen.example/q?ip=192.0.2.99");
    EXPECT_EQ(reply(found[0]), "554 5.7.1 Service unavailable; client [192.0.2.99] blocked using zen.example; "
                               "see https://zen.example/q?ip=192.0.2.99");
    EXPECT_EQ(attr(found[0], "score"), "1");
    EXPECT_EQ(filter_->counters().rejected, 1u);
    EXPECT_EQ(resolver_.asked(), 0);  // no DNS at RCPT
}

TEST_F(DnsblDecisionTest, WeightsAddUpAndAllowListsSubtract) {
    bl::DnsList wl = dns_list("wl", "wl.example");
    wl.allow = true;
    wl.weight = -5;
    bl::DnsList a = dns_list("a", "a.example"), b = dns_list("b", "b.example", bl::ListType::sender_domain);
    b.weight = 2;
    config_.lists = {a, b, wl};
    config_.reject_score = 3;
    EXPECT_TRUE(decide({listed("dnsbl.a", 1)}).empty());  // 1 < 3
    const Findings both = decide({listed("dnsbl.a", 1), listed("dnsbl.b", 2)});
    ASSERT_EQ(both.size(), 1u);
    EXPECT_EQ(attr(both[0], "lists"), "dnsbl.a,dnsbl.b");
    EXPECT_TRUE(decide({listed("dnsbl.a", 1), listed("dnsbl.b", 2), listed("dnswl.wl", -5)}).empty());
    // Only the sender-domain list: the reply names what was listed.
    config_.reject_score = 2;
    const Findings sender = decide({listed("dnsbl.b", 2)});
    ASSERT_EQ(sender.size(), 1u);
    EXPECT_EQ(attr(sender[0], "list_text"), "") << "no TXT reason";
    EXPECT_EQ(reply(sender[0]), "554 5.7.1 Service unavailable; sender domain [spam.example] blocked using b.example");
}

TEST_F(DnsblDecisionTest, UnansweredListsAndForeignFindingsNeverCount) {
    config_.lists = {dns_list("zen", "zen.example")};
    core::Finding unanswered{"dnsbl.zen", core::Outcome::temperror, {{"listed", "no"}, {"score", "0"}}, "timeout"};
    core::Finding other_filter{"dnsbl.other", core::Outcome::fail, {{"listed", "yes"}, {"score", "9"}}, ""};
    EXPECT_TRUE(decide({unanswered, other_filter}).empty());
}

TEST_F(DnsblDecisionTest, ZeroRejectScoreOnlyReports) {
    config_.lists = {dns_list("zen", "zen.example")};
    config_.reject_score = 0;
    filter_ = std::make_unique<bl::DnsblFilter>(std::make_shared<const bl::DnsblConfig>(config_), resolver_);
    EXPECT_FALSE(filter_->runs_at(core::Stage::rcpt));
    for (const auto& rule : bl::default_rules(config_)) EXPECT_NE(rule.name, "dnsbl.reject_score");
}

TEST(DnsblDefaultRules, EveryCheckFailsOpenWhereItIsAsked) {
    bl::DnsblConfig config;
    bl::DnsList wl = dns_list("wl", "wl.example");
    wl.allow = true;
    config.lists = {dns_list("zen", "zen.example"), dns_list("dbl", "dbl.example", bl::ListType::sender_domain), wl};
    const auto rules = bl::default_rules(config);
    std::vector<std::string> described;
    for (const auto& rule : rules) {
        described.push_back(rule.name + " " + std::string(core::to_string(rule.stage)) + " " + rule.finding);
        if (rule.name != "dnsbl.reject_score") {
            EXPECT_EQ(rule.answer, core::DefaultRule::Answer::proceed) << rule.name;
            EXPECT_EQ(rule.outcomes, std::vector<core::Outcome>{core::Outcome::temperror}) << rule.name;
        }
    }
    EXPECT_EQ(described, (std::vector<std::string>{
                             "dnsbl.reject_score rcpt dnsbl", "dnsbl.fcrdns connect fcrdns", "dnsbl.lists connect dnsbl.*",
                             "dnsbl.lists connect dnswl.*", "dnsbl.lists mail_from dnsbl.*",
                             "dnsbl.temperror connect dnsbl", "dnsbl.temperror mail_from dnsbl",
                             "dnsbl.temperror rcpt dnsbl"}));
    const core::Finding unanswered{"dnsbl.zen", core::Outcome::temperror, {}, "no answer: timeout"};
    EXPECT_NE(mxgate::test::first_match(rules, core::Stage::connect, unanswered), nullptr);
    const core::Finding thrown{"dnsbl", core::Outcome::temperror, {{"error", "exception"}}, "bug"};
    EXPECT_EQ(mxgate::test::first_match(rules, core::Stage::connect, thrown), nullptr) << "a bug fails closed";
}

}  // namespace
