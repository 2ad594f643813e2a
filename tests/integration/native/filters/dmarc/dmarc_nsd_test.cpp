// DMARC policy discovery through the real resolver path: UnboundResolver
// forwarding to an nsd on loopback serving _dmarc records under a multi-label
// public suffix (co.uk). Covers the organizational-domain fallback, sp= for
// subdomains, a record split into several character-strings, several records,
// and SERVFAIL (a name nsd does not serve: REFUSED, which the resolver reports as
// servfail), then the whole filter on the same DNS.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dmarc/dmarc_filter.hpp"
#include "filters/dns/unbound_resolver.hpp"
#include "tests/integration/native/filters/dns/nsd_fixture.hpp"
#include "tests/unit/filters/finding_attr.hpp"

namespace {

namespace dm = mxgate::filters::dmarc;
namespace dns = mxgate::filters::dns;
namespace f = mxgate::filters;
namespace core = mxgate::core;
using namespace std::chrono_literals;
using mxgate::test::attr;
using Status = dm::PolicyLookup::Status;

constexpr const char* zone_example_co_uk = R"($ORIGIN example.co.uk.
$TTL 300
@ SOA ns1.example.co.uk. hostmaster.example.co.uk. 1 3600 600 86400 60
@ NS ns1.example.co.uk.
ns1 A 127.0.0.1
_dmarc TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.co.uk"
_dmarc.own TXT "v=DMARC1; p=none"
_dmarc.split TXT "v=DMARC1; " "p=quarantine; " "adkim=s"
_dmarc.two TXT "v=DMARC1; p=reject"
_dmarc.two TXT "v=DMARC1; p=none"
_dmarc.noise TXT "v=spf1 -all"
mail A 192.0.2.25
)";

std::shared_ptr<const dm::PublicSuffixList> suffixes() {
    return dm::PublicSuffixList::shared("/usr/share/publicsuffix/public_suffix_list.dafsa").list;
}

class DmarcNsd : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        nsd_ = new dns::test::NsdServer(std::vector<dns::test::NsdServer::Zone>{{"example.co.uk", zone_example_co_uk}});
    }
    static void TearDownTestSuite() { delete nsd_; }
    void SetUp() override {
        ASSERT_TRUE(nsd_->ready()) << "nsd did not start";
        dns::DnsConfig dns_config;
        dns_config.servers = {nsd_->server()};
        dns_config.timeout = 2s;
        auto created = dns::UnboundResolver::create(dns_config);
        for (const auto& error : created.errors) ADD_FAILURE() << error;
        resolver_ = std::move(created.resolver);
        ASSERT_TRUE(resolver_);
    }
    dm::PolicyLookup discover(const char* domain) {
        dm::DmarcEvaluator evaluator(*resolver_, suffixes(), 1);
        boost::asio::io_context io;
        auto done = boost::asio::co_spawn(io, evaluator.discover(domain, std::chrono::steady_clock::now() + 5s),
                                          boost::asio::use_future);
        io.run();
        return done.get();
    }
    core::Finding check(const char* from, std::vector<core::Finding> findings) {
        dm::DmarcFilter filter(std::make_shared<const dm::DmarcConfig>(), *resolver_, suffixes(), 1);
        f::TransactionView view;
        view.findings = &findings;
        boost::asio::io_context io;
        auto inspector = filter.inspect_message(view, io.get_executor());
        inspector->header_field(std::string("From: ") + from + "\r\n");
        inspector->end_of_header();
        auto done = boost::asio::co_spawn(io, inspector->finish(view), boost::asio::use_future);
        io.run();
        auto out = done.get();
        EXPECT_EQ(out.size(), 1u);
        return out.empty() ? core::Finding{} : out.front();
    }

    static inline dns::test::NsdServer* nsd_ = nullptr;
    std::unique_ptr<dns::UnboundResolver> resolver_;
};

TEST_F(DmarcNsd, RecordAtTheOrganizationalDomainUnderAMultiLabelSuffix) {
    const dm::PolicyLookup own = discover("example.co.uk");
    EXPECT_EQ(own.status, Status::found);
    EXPECT_FALSE(own.at_organizational_domain);
    const dm::PolicyLookup fallback = discover("a.b.example.co.uk");  // _dmarc.a.b...: NXDOMAIN
    ASSERT_EQ(fallback.status, Status::found) << fallback.problem;
    EXPECT_EQ(fallback.policy_domain, "example.co.uk");
    EXPECT_TRUE(fallback.at_organizational_domain);
    EXPECT_EQ(fallback.record->subdomain_policy, dm::Policy::quarantine);
    const dm::PolicyLookup nodata = discover("mail.example.co.uk");  // the name exists, no TXT: NODATA
    EXPECT_EQ(nodata.status, Status::found);
    EXPECT_EQ(nodata.policy_domain, "example.co.uk");
}

TEST_F(DmarcNsd, ASubdomainsOwnRecordAndSplitStrings) {
    const dm::PolicyLookup own = discover("own.example.co.uk");
    ASSERT_EQ(own.status, Status::found);
    EXPECT_EQ(own.record->policy, dm::Policy::none);
    const dm::PolicyLookup split = discover("split.example.co.uk");  // character-strings concatenated
    ASSERT_EQ(split.status, Status::found) << split.problem;
    EXPECT_EQ(split.record->policy, dm::Policy::quarantine);
    EXPECT_EQ(split.record->dkim_alignment, dm::Alignment::strict);
}

TEST_F(DmarcNsd, SeveralRecordsStopDiscoveryAndOtherTxtIsIgnored) {
    EXPECT_EQ(discover("two.example.co.uk").status, Status::several);
    const dm::PolicyLookup noise = discover("noise.example.co.uk");  // no DMARC record there: the org's
    EXPECT_EQ(noise.status, Status::found);
    EXPECT_EQ(noise.policy_domain, "example.co.uk");
}

TEST_F(DmarcNsd, ServfailIsTemperror) {
    EXPECT_EQ(discover("unserved.example").status, Status::temperror);
    EXPECT_EQ(discover("a.unserved.example").status, Status::temperror);
}

TEST_F(DmarcNsd, TheFilterAppliesSpAndAlignsAcrossTheSuffix) {
    const core::Finding failing = check("<x@a.b.example.co.uk>", {});
    EXPECT_EQ(failing.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(failing, "policy"), "quarantine");  // sp=
    EXPECT_EQ(attr(failing, "disposition"), "quarantine");
    const core::Finding aligned =
        check("<x@a.b.example.co.uk>", {{"dkim", core::Outcome::pass, {{"domain", "mail.example.co.uk"}}, ""}});
    EXPECT_EQ(aligned.outcome, core::Outcome::pass);
    EXPECT_EQ(attr(aligned, "auth_results"), "dmarc=pass header.from=a.b.example.co.uk");
    // other.co.uk is another organization under the same public suffix.
    const core::Finding unaligned = check(
        "<x@example.co.uk>", {{"spf", core::Outcome::pass, {{"identity", "mailfrom"}, {"domain", "other.co.uk"}}, ""}});
    EXPECT_EQ(unaligned.outcome, core::Outcome::fail);
    EXPECT_EQ(attr(unaligned, "disposition"), "reject");
    EXPECT_EQ(attr(unaligned, "shown_domain"), "example.co.uk");
    const core::Finding temperror = check("<x@unserved.example>", {});
    EXPECT_EQ(temperror.outcome, core::Outcome::temperror);
    EXPECT_EQ(attr(temperror, "spf_aligned"), "no") << "what dmarc.on_temperror reads";
    EXPECT_EQ(attr(temperror, "dkim_aligned"), "no");
}

}  // namespace
