// DmarcEvaluator over a scripted resolver: policy discovery (§6.6.3: the From:
// domain, then its organizational domain; several records or none; SERVFAIL),
// and the decision table: alignment (relaxed/strict, SPF and DKIM), p= and sp=,
// pct= sampling with fixed rolls, temperror that fails any policy.
#include "filters/dmarc/dmarc_evaluator.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "tests/unit/filters/dns/scripted_resolver.hpp"

namespace mxgate::filters::dmarc {
namespace {

namespace asio = boost::asio;
using dns::RecordType;
using Status = PolicyLookup::Status;
using namespace std::chrono_literals;

class DmarcEvaluatorTest : public ::testing::Test {
protected:
    DmarcEvaluatorTest()
        : evaluator_(dns_, PublicSuffixList::shared("/usr/share/publicsuffix/public_suffix_list.dafsa").list, 42) {
        dns_.add("_dmarc.example.org", RecordType::txt, {"v=DMARC1; p=reject; sp=quarantine"});
        dns_.add("_dmarc.example.co.uk", RecordType::txt, {"v=DMARC1; p=quarantine"});
        dns_.add("_dmarc.own.example.co.uk", RecordType::txt, {"v=DMARC1; p=none; sp=reject"});
        dns_.add("_dmarc.two.example", RecordType::txt, {"v=DMARC1; p=reject", "v=DMARC1; p=none"});
        dns_.add("_dmarc.mixed.example", RecordType::txt, {"some verification token", "v=DMARC1; p=reject"});
        dns_.add("_dmarc.broken.example", RecordType::txt, {"v=DMARC1; p=maybe"});
        dns_.add("_dmarc.other.example", RecordType::txt, {"some verification token"});
        dns_.fail("_dmarc.flaky.example.org", RecordType::txt, dns::Status::servfail);
        dns_.fail("_dmarc.down.example", RecordType::txt, dns::Status::servfail);
        dns_.add("www.down.example", RecordType::a, {"192.0.2.1"});
    }
    PolicyLookup discover(const char* domain) {
        asio::io_context io;
        auto done = asio::co_spawn(io, evaluator_.discover(domain, std::chrono::steady_clock::now() + 5s),
                                   asio::use_future);
        io.run();
        return done.get();
    }
    DomainVerdict decide(const char* from, const AuthenticatedIdentifiers& ids, unsigned roll = 0) {
        return evaluator_.evaluate(from, discover(from), ids, roll);
    }

    test::ScriptedResolver dns_;
    DmarcEvaluator evaluator_;
};

TEST_F(DmarcEvaluatorTest, RecordAtTheFromDomain) {
    const PolicyLookup lookup = discover("example.org");
    EXPECT_EQ(lookup.status, Status::found);
    EXPECT_EQ(lookup.policy_domain, "example.org");
    EXPECT_FALSE(lookup.at_organizational_domain);
    EXPECT_EQ(dns_.asked(), 1);
}

TEST_F(DmarcEvaluatorTest, FallsBackToTheOrganizationalDomain) {
    const PolicyLookup lookup = discover("a.b.example.co.uk");
    EXPECT_EQ(lookup.status, Status::found);
    EXPECT_EQ(lookup.policy_domain, "example.co.uk");  // not co.uk: a multi-label public suffix
    EXPECT_TRUE(lookup.at_organizational_domain);
    EXPECT_EQ(dns_.asked(), 2);
}

TEST_F(DmarcEvaluatorTest, SeveralRecordsOrNoneIsNone) {
    dns_.add("_dmarc.sub.example.org", RecordType::txt, {"v=DMARC1; p=none", "v=DMARC1; p=none"});
    const int before = dns_.asked();
    EXPECT_EQ(discover("sub.example.org").status, Status::several);  // step 5: example.org is not asked
    EXPECT_EQ(dns_.asked(), before + 1);
    EXPECT_EQ(decide("sub.example.org", {}).result, DmarcResult::none);
    EXPECT_EQ(discover("two.example").status, Status::several);
    EXPECT_EQ(discover("nothing.example").status, Status::none);
    EXPECT_EQ(discover("other.example").status, Status::none);  // no v=DMARC1 among the TXT records
    EXPECT_EQ(discover("mixed.example").status, Status::found);  // the other TXT record is discarded
}

TEST_F(DmarcEvaluatorTest, ServfailIsTemperrorAndStopsDiscovery) {
    const int before = dns_.asked();
    EXPECT_EQ(discover("flaky.example.org").status, Status::temperror);  // example.org is not asked
    EXPECT_EQ(dns_.asked(), before + 1);
    EXPECT_EQ(discover("www.down.example").status, Status::temperror);  // the org domain's SERVFAIL
}

TEST_F(DmarcEvaluatorTest, UnusableRecordOrNameIsPermerror) {
    EXPECT_EQ(discover("broken.example").status, Status::permerror);
    const int before = dns_.asked();
    EXPECT_EQ(discover("[192.0.2.1]").status, Status::permerror);
    EXPECT_EQ(discover("a..example").status, Status::permerror);
    EXPECT_EQ(dns_.asked(), before);  // nothing asked for a name that cannot be one
}

TEST_F(DmarcEvaluatorTest, AlignmentRelaxedAndStrict) {
    EXPECT_TRUE(evaluator_.aligned("mail.example.co.uk", "news.example.co.uk", Alignment::relaxed));
    EXPECT_FALSE(evaluator_.aligned("mail.example.co.uk", "news.example.co.uk", Alignment::strict));
    EXPECT_TRUE(evaluator_.aligned("Example.ORG", "example.org", Alignment::strict));
    EXPECT_FALSE(evaluator_.aligned("other.co.uk", "example.co.uk", Alignment::relaxed));
    EXPECT_FALSE(evaluator_.aligned("user1.github.io", "user2.github.io", Alignment::relaxed));
    EXPECT_FALSE(evaluator_.aligned("", "example.org", Alignment::relaxed));
}

TEST_F(DmarcEvaluatorTest, PassWhenSpfOrDkimAligns) {
    DomainVerdict v = decide("example.org", {"bounce.example.org", {}});
    EXPECT_EQ(v.result, DmarcResult::pass);
    EXPECT_TRUE(v.spf_aligned);
    EXPECT_EQ(v.policy, Policy::reject);
    EXPECT_EQ(v.disposition, Policy::none);
    v = decide("example.org", {"other.example", {"other.example", "example.org"}});
    EXPECT_EQ(v.result, DmarcResult::pass);
    EXPECT_FALSE(v.spf_aligned);
    EXPECT_TRUE(v.dkim_aligned);
}

TEST_F(DmarcEvaluatorTest, StrictModesNeedTheSameDomain) {
    dns_.add("_dmarc.strict.example", RecordType::txt, {"v=DMARC1; p=reject; adkim=s; aspf=s"});
    EXPECT_EQ(decide("strict.example", {"mail.strict.example", {"mail.strict.example"}}).result, DmarcResult::fail);
    EXPECT_EQ(decide("strict.example", {"", {"strict.example"}}).result, DmarcResult::pass);
    dns_.add("_dmarc.half.example", RecordType::txt, {"v=DMARC1; p=reject; aspf=s"});
    EXPECT_EQ(decide("half.example", {"mail.half.example", {}}).result, DmarcResult::fail);
    EXPECT_EQ(decide("half.example", {"", {"mail.half.example"}}).result, DmarcResult::pass);  // adkim stays r
}

TEST_F(DmarcEvaluatorTest, FailAppliesPOrSp) {
    DomainVerdict v = decide("example.org", {"evil.example", {"evil.example"}});
    EXPECT_EQ(v.result, DmarcResult::fail);
    EXPECT_EQ(v.policy, Policy::reject);
    EXPECT_EQ(v.disposition, Policy::reject);
    v = decide("news.example.org", {});  // found at the org domain: sp=
    EXPECT_EQ(v.policy, Policy::quarantine);
    EXPECT_EQ(v.disposition, Policy::quarantine);
    EXPECT_EQ(v.policy_domain, "example.org");
    v = decide("own.example.co.uk", {});  // its own record: p=, whatever sp= says
    EXPECT_EQ(v.policy, Policy::none);
    EXPECT_EQ(v.disposition, Policy::none);
    EXPECT_EQ(v.result, DmarcResult::fail);
    v = decide("x.example.co.uk", {});  // org record without sp=: p=
    EXPECT_EQ(v.policy, Policy::quarantine);
}

TEST_F(DmarcEvaluatorTest, PctSamplesWithTheRoll) {
    dns_.add("_dmarc.pct.example", RecordType::txt, {"v=DMARC1; p=reject; pct=30"});
    DomainVerdict v = decide("pct.example", {}, 29);  // inside the 30 %
    EXPECT_EQ(v.disposition, Policy::reject);
    EXPECT_FALSE(v.sampled_out);
    v = decide("pct.example", {}, 30);  // outside: the next policy down (§6.6.4)
    EXPECT_EQ(v.result, DmarcResult::fail);
    EXPECT_EQ(v.policy, Policy::reject);
    EXPECT_EQ(v.disposition, Policy::quarantine);
    EXPECT_TRUE(v.sampled_out);
    dns_.add("_dmarc.q.example", RecordType::txt, {"v=DMARC1; p=quarantine; pct=0"});
    EXPECT_EQ(decide("q.example", {}, 0).disposition, Policy::none);
}

TEST_F(DmarcEvaluatorTest, RollsAreReproducibleForASeed) {
    DmarcEvaluator same(dns_, PublicSuffixList::shared("/usr/share/publicsuffix/public_suffix_list.dafsa").list, 42);
    int low = 0;
    for (int i = 0; i < 1000; ++i) {
        const unsigned roll = evaluator_.next_roll();
        EXPECT_EQ(roll, same.next_roll());
        EXPECT_LT(roll, 100u);
        low += roll < 30;
    }
    EXPECT_GT(low, 200);  // about 300 of 1000 fall inside pct=30
    EXPECT_LT(low, 400);
}

TEST_F(DmarcEvaluatorTest, NoneAndErrors) {
    EXPECT_EQ(decide("nothing.example", {}).result, DmarcResult::none);
    EXPECT_EQ(decide("broken.example", {}).result, DmarcResult::permerror);
    DomainVerdict v = decide("flaky.example.org", {});
    EXPECT_EQ(v.result, DmarcResult::temperror);
    EXPECT_TRUE(v.fails_any_policy);
    EXPECT_FALSE(v.policy);
    v = decide("flaky.example.org", {"", {"example.org"}});  // relaxed-aligned: no policy could fail it for sure
    EXPECT_EQ(v.result, DmarcResult::temperror);
    EXPECT_FALSE(v.fails_any_policy);
}

TEST(DmarcIdentifiers, ReadFromSpfAndDkimFindings) {
    const std::vector<core::Finding> findings = {
        {"spf", core::Outcome::pass, {{"identity", "mailfrom"}, {"domain", "Bounce.Example.org"}}, ""},
        {"dkim", core::Outcome::pass, {{"domain", "example.org"}}, ""},
        {"dkim", core::Outcome::fail, {{"domain", "forged.example"}}, ""},
        {"dkim", core::Outcome::pass, {{"domain", "esp.example"}}, ""},
        {"dnsbl.zen", core::Outcome::pass, {{"domain", "nope.example"}}, ""},
    };
    const AuthenticatedIdentifiers ids = authenticated_identifiers(findings);
    EXPECT_EQ(ids.spf_domain, "bounce.example.org");
    EXPECT_EQ(ids.dkim_domains, (std::vector<std::string>{"example.org", "esp.example"}));
    const AuthenticatedIdentifiers failed = authenticated_identifiers(
        {{"spf", core::Outcome::softfail, {{"identity", "mailfrom"}, {"domain", "example.org"}}, ""}});
    EXPECT_EQ(failed.spf_domain, "");
}

}  // namespace
}  // namespace mxgate::filters::dmarc
