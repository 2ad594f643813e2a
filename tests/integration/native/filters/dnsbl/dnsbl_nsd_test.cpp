// DnsblFilter through the real resolver path: UnboundResolver forwarding to an nsd
// on loopback that serves a small DNS block list, an allow list, a domain list and
// PTR/A/AAAA data for FCrDNS, plus a list whose server never answers (a stub zone
// pointing at a silent socket). Asserts the findings policy would see and that
// the dead list costs only its own timeout.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "filters/dns/unbound_resolver.hpp"
#include "filters/dnsbl/dnsbl_filter.hpp"
#include "tests/integration/native/filters/dns/nsd_fixture.hpp"
#include "tests/unit/filters/dnsbl/dns_list.hpp"
#include "tests/unit/filters/finding_attr.hpp"

namespace {

namespace bl = mxgate::filters::dnsbl;
namespace dns = mxgate::filters::dns;
namespace f = mxgate::filters;
namespace core = mxgate::core;
namespace ip = boost::asio::ip;
using namespace std::chrono_literals;
using Findings = std::vector<core::Finding>;

// The relative name of an address inside its reverse zone or a list zone.
std::string rev(const char* address) { return bl::reversed_address(ip::make_address(address)); }
std::string rev6_in_zone(const char* address) {  // minus the 8 nibbles of 8.f.4.0.1.0.a.2.ip6.arpa
    const std::string all = rev(address);
    return all.substr(0, all.size() - std::string(".8.f.4.0.1.0.a.2").size());
}

std::string soa(const std::string& origin) {
    return "$ORIGIN " + origin + ".\n$TTL 300\n@ SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60\n" +
           "@ NS ns1.example.com.\n";
}

std::vector<dns::test::NsdServer::Zone> zones() {
    return {
        {"bl.example.net", soa("bl.example.net") +
                               // RFC 5782 §5: the test entries every IPv4 list carries.
                               rev("127.0.0.2") + " A 127.0.0.2\n" + rev("127.0.0.2") + " TXT \"test entry\"\n" +
                               rev("198.18.0.10") + " A 127.0.0.2\n" + rev("198.18.0.10") + " A 127.0.0.4\n" +
                               rev("198.18.0.10") + " TXT \"Listed: see https://bl.example.net/198.18.0.10\"\n" +
                               rev("2a01:4f8::25") + " A 127.0.0.3\n" +
                               rev("198.18.0.40") + " A 192.0.2.1\n"},  // a broken list's answer
        {"wl.example.net", soa("wl.example.net") + rev("198.18.0.10") + " A 127.0.10.2\n"},
        {"dbl.example.net",
         soa("dbl.example.net") + "mail.example.com A 127.0.1.2\nspam.example.org A 127.0.1.2\n"},
        {"example.com", soa("example.com") + "ns1 A 127.0.0.1\nmail A 198.18.0.10\nforged A 198.18.0.99\n"
                                             "mail6 AAAA 2a01:4f8::25\n"},
        {"18.198.in-addr.arpa",
         soa("18.198.in-addr.arpa") + "10.0 PTR mail.example.com.\n20.0 PTR forged.example.com.\n"},
        {"8.f.4.0.1.0.a.2.ip6.arpa",
         soa("8.f.4.0.1.0.a.2.ip6.arpa") + rev6_in_zone("2a01:4f8::25") + " PTR mail6.example.com.\n"},
    };
}

using mxgate::test::attr;
using mxgate::test::dns_list;

std::string summary(const Findings& findings) {  // "name=outcome[codes]" per finding
    std::string out;
    for (const auto& finding : findings) {
        if (!out.empty()) out += ' ';
        out += finding.name + "=" + std::string(core::to_string(finding.outcome));
        if (const auto codes = attr(finding, "codes"); codes != "<none>" && !codes.empty()) out += "[" + codes + "]";
    }
    return out;
}

class DnsblNsd : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        nsd_ = new dns::test::NsdServer(zones());
        silent_ = new dns::test::SilentDnsServer;
    }
    static void TearDownTestSuite() {
        delete nsd_;
        delete silent_;
    }
    void SetUp() override {
        ASSERT_TRUE(nsd_->ready()) << "nsd did not start";
        dns::DnsConfig dns_config;
        dns_config.servers = {nsd_->server()};
        dns_config.timeout = 2s;
        dns_config.stub_zones = {{"dead.example.net", {silent_->server()}}};
        auto created = dns::UnboundResolver::create(dns_config);
        for (const auto& error : created.errors) ADD_FAILURE() << error;
        resolver_ = std::move(created.resolver);
        ASSERT_TRUE(resolver_);

        auto bl_list = dns_list("bl", "bl.example.net");
        bl_list.weight = 3;
        auto sbl = dns_list("sbl", "bl.example.net");
        sbl.codes = {"127.0.0.4"};
        auto wl = dns_list("wl", "wl.example.net");
        wl.allow = true;
        wl.weight = -5;
        auto dead = dns_list("dead", "dead.example.net");
        dead.timeout = 300ms;
        config_.lists = {bl_list, sbl, wl, dead, dns_list("dbl", "dbl.example.net", bl::ListType::rdns),
                         dns_list("helo", "dbl.example.net", bl::ListType::helo)};
        filter_ = std::make_unique<bl::DnsblFilter>(std::make_shared<const bl::DnsblConfig>(config_), *resolver_);
    }
    Findings inspect(core::Stage stage, const char* client, std::string_view helo = "") {
        f::TransactionView view;
        view.client_address = ip::make_address(client);
        view.helo = helo;
        boost::asio::io_context io;
        auto done = boost::asio::co_spawn(io, filter_->inspect(stage, view), boost::asio::use_future);
        io.run();
        return done.get();
    }

    static inline dns::test::NsdServer* nsd_ = nullptr;
    static inline dns::test::SilentDnsServer* silent_ = nullptr;
    std::unique_ptr<dns::UnboundResolver> resolver_;
    bl::DnsblConfig config_;
    std::unique_ptr<bl::DnsblFilter> filter_;
};

TEST_F(DnsblNsd, ListedClientWithConfirmedName) {
    const auto findings = inspect(core::Stage::connect, "198.18.0.10");
    EXPECT_EQ(summary(findings),
              "fcrdns=pass dnsbl.bl=fail[127.0.0.2,127.0.0.4] dnsbl.sbl=fail[127.0.0.4] dnswl.wl=pass[127.0.10.2] "
              "dnsbl.dead=temperror dnsbl.dbl=fail[127.0.1.2]");
    ASSERT_EQ(findings.size(), 6u);
    EXPECT_EQ(bl::confirmed_name(findings), "mail.example.com");
    EXPECT_EQ(findings[1].reason, "listed: Listed: see https://bl.example.net/198.18.0.10");
    EXPECT_EQ(attr(findings[1], "query"), "10.0.18.198.bl.example.net");
    EXPECT_EQ(attr(findings[1], "score"), "3");
    EXPECT_EQ(attr(findings[3], "score"), "-5");
    EXPECT_EQ(attr(findings[5], "query"), "mail.example.com.dbl.example.net");
    // The dead list's own 300 ms ended its query: the filter cancelled it while the
    // resolver still waited (had dns.timeout, 2 s, come first, no cancel would count).
    EXPECT_EQ(filter_->counters().unanswered, 1u);
    EXPECT_EQ(resolver_->counters().cancelled, 1u);
}

TEST_F(DnsblNsd, UnlistedClientAndForgedPtr) {
    const auto findings = inspect(core::Stage::connect, "198.18.0.20");
    EXPECT_EQ(summary(findings), "fcrdns=fail dnsbl.bl=pass dnsbl.sbl=pass dnswl.wl=none dnsbl.dead=temperror");
    EXPECT_EQ(attr(findings[0], "names"), "forged.example.com");
    EXPECT_EQ(bl::confirmed_name(findings), std::nullopt);
}

TEST_F(DnsblNsd, NoPtrAndBrokenListAnswer) {
    const auto findings = inspect(core::Stage::connect, "198.18.0.40");
    EXPECT_EQ(summary(findings), "fcrdns=none dnsbl.bl=temperror dnsbl.sbl=temperror dnswl.wl=none dnsbl.dead=temperror");
    EXPECT_EQ(filter_->counters().broken, 2u);
}

TEST_F(DnsblNsd, Ipv6ClientNibblesAndFcrdns) {
    const auto findings = inspect(core::Stage::connect, "2a01:4f8::25");
    EXPECT_EQ(summary(findings),
              "fcrdns=pass dnsbl.bl=fail[127.0.0.3] dnsbl.sbl=pass dnswl.wl=none dnsbl.dead=temperror "
              "dnsbl.dbl=pass");
    EXPECT_EQ(bl::confirmed_name(findings), "mail6.example.com");
}

TEST_F(DnsblNsd, HeloList) {
    EXPECT_EQ(summary(inspect(core::Stage::helo, "198.18.0.20", "spam.example.org")), "dnsbl.helo=fail[127.0.1.2]");
    EXPECT_EQ(summary(inspect(core::Stage::helo, "198.18.0.20", "mail.example.org")), "dnsbl.helo=pass");
}

}  // namespace
