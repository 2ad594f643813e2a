// Config decoding of the filter sections dns:, state: and filters: (greylist,
// rate_limit): good values, every kind of error with its exact
// "file:line:column: message" text, the cross-checks (SQLite directory, DNSSEC
// trust anchor) and the dump_config -> parse_config round trip with non-default values.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "filters/dnsbl/dnsbl_config.hpp"
#include "filters/greylist/greylist_config.hpp"
#include "filters/spf/spf_config.hpp"
#include "proxy/config/decode.hpp"
#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate::config {
namespace {

namespace fs = std::filesystem;
namespace ip = boost::asio::ip;
using Backend = filters::state::Backend;

using namespace test;

// ---- defaults and good values ------------------------------------------------

// The defaults, with the one value filled in after decoding: SPF's receiver name.
filters::FilterSettings default_filters(const Parsed& p) {
    filters::FilterSettings f;
    auto spf = f.get<filters::spf::SpfConfig>();
    spf.receiver = p.config->server.hostname;
    f.set(spf);
    return f;
}

TEST(ConfigFilters, AbsentSectionsAreTheStructDefaults) {
    const Parsed p = parse(minimal);
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_EQ(p.config->dns, filters::dns::DnsConfig{});
    EXPECT_EQ(p.config->state, filters::state::StateConfig{});
    EXPECT_EQ(p.config->filters, default_filters(p));
    EXPECT_FALSE(p.config->filters.need_state());
    EXPECT_FALSE(p.config->filters.need_resolver());
}

TEST(ConfigFilters, EmptySectionsAreTheStructDefaults) {
    const Parsed p = parse(minimal + "dns:\nstate: {sqlite:, redis: {}}\n"
                                     "filters: {greylist:, rate_limit: {}, spf:, dnsbl: {fcrdns:}}\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_EQ(p.config->dns, filters::dns::DnsConfig{});
    EXPECT_EQ(p.config->state, filters::state::StateConfig{});
    EXPECT_EQ(p.config->filters, default_filters(p));
}

TEST(ConfigFilters, DnsDecodesEveryKey) {
    const Parsed p = parse(minimal +
                           "dns:\n"
                           "  servers: [\"127.0.0.1@5353\", \"::1\", \"2001:db8::53@53\"]\n"
                           "  resolv_conf: resolv.conf\n"
                           "  stub_zones:\n"
                           "    - {zone: BL.example, servers: [\"127.0.0.1@5300\"]}\n"
                           "    - zone: dnswl.example.\n"
                           "      servers: [\"192.0.2.53\", \"::1@5301\"]\n"
                           "  timeout: 1500ms\n"
                           "  dnssec: false\n"
                           "  dnssec_trust_anchor_file: /etc/unbound/root.key\n"
                           "  cache_size: 16MiB\n"
                           "  max_cache_ttl: 2h\n"
                           "  max_negative_cache_ttl: 0s\n",
                           "/etc/mxgate/mxgate.yaml");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const auto& d = p.config->dns;
    EXPECT_EQ(d.servers, (std::vector<std::string>{"127.0.0.1@5353", "::1", "2001:db8::53@53"}));
    EXPECT_EQ(d.resolv_conf, "/etc/mxgate/resolv.conf");  // relative to the config file
    ASSERT_EQ(d.stub_zones.size(), 2u);
    EXPECT_EQ(d.stub_zones[0].zone, "bl.example");
    EXPECT_EQ(d.stub_zones[0].servers, std::vector<std::string>{"127.0.0.1@5300"});
    EXPECT_EQ(d.stub_zones[1].zone, "dnswl.example.");
    EXPECT_EQ(d.stub_zones[1].servers, (std::vector<std::string>{"192.0.2.53", "::1@5301"}));
    EXPECT_EQ(d.timeout, 1500ms);
    EXPECT_FALSE(d.dnssec);
    EXPECT_EQ(d.dnssec_trust_anchor_file, "/etc/unbound/root.key");
    EXPECT_EQ(d.cache_size, 16u << 20);
    EXPECT_EQ(d.max_cache_ttl, std::chrono::hours(2));
    EXPECT_EQ(d.max_negative_cache_ttl, std::chrono::seconds(0));
}

TEST(ConfigFilters, StateDecodesEveryKey) {
    const Parsed p = parse(minimal +
                           "state:\n"
                           "  backend: redis\n"
                           "  key_prefix: \"mx1:\"\n"
                           "  sqlite: {path: ../var/state.db, busy_timeout: 500ms}\n"
                           "  redis: {host: redis.example.org, port: 6380, db: 3, password: s3cret, timeout: 1s,"
                           " reconnect_interval: 0s}\n",
                           "/etc/mxgate/conf/mxgate.yaml");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const auto& s = p.config->state;
    EXPECT_EQ(s.backend, Backend::redis);
    EXPECT_EQ(s.key_prefix, "mx1:");
    EXPECT_EQ(s.sqlite.path, "/etc/mxgate/var/state.db");
    EXPECT_EQ(s.sqlite.busy_timeout, 500ms);
    EXPECT_EQ(s.redis.host, "redis.example.org");
    EXPECT_EQ(s.redis.port, 6380);
    EXPECT_EQ(s.redis.db, 3);
    EXPECT_EQ(s.redis.password, "s3cret");
    EXPECT_EQ(s.redis.timeout, 1s);
    EXPECT_EQ(s.redis.reconnect_interval, 0ms);

    // A bad password is reported without being repeated.
    const Parsed bad = parse(minimal + "state: {redis: {password: \"s3cret\\x01\"}}\n");
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_NE(bad.errors.front().find("state.redis.password: expected a string without control characters, got "
                                      "<redacted>"),
              std::string::npos)
        << bad.errors.front();
    EXPECT_EQ(bad.errors.front().find("s3cret"), std::string::npos) << bad.errors.front();

    const Parsed v6 = parse(minimal + "state: {redis: {host: \"::1\"}}\n");
    ASSERT_NE(v6.config, nullptr) << (v6.errors.empty() ? "" : v6.errors.front());
    EXPECT_EQ(v6.config->state.redis.host, "::1");
}

TEST(ConfigFilters, GreylistAndRateLimitDecodeEveryKey) {
    TempDir dir;
    dir.write("var/.keep", "");
    const Parsed p = parse(minimal +
                           "state: {sqlite: {path: var/state.db}}\n"
                           "filters:\n"
                           "  greylist:\n"
                           "    enabled: true\n"
                           "    ipv4_prefix: 32\n"
                           "    ipv6_prefix: 48\n"
                           "    delay: 90s\n"
                           "    window: 4h\n"
                           "    pass_lifetime: 720h\n"
                           "    auto_allow_after: 0\n"
                           "    allow_networks: [\"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7\"]\n"
                           "    allow_sender_domains: [Example.COM, .lists.example.net]\n"
                           "    allow_recipient_domains: []\n"
                           "    skip_spf_pass: true\n"
                           "    fail_open: false\n"
                           "  rate_limit:\n"
                           "    enabled: true\n"
                           "    max_connections_per_window: 0\n"
                           "    max_messages_per_window: 30\n"
                           "    window: 5m\n"
                           "    ipv4_prefix: 24\n"
                           "    ipv6_prefix: 56\n"
                           "    fail_open: false\n",
                           (dir.path() / "mxgate.yaml").string());
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const auto& f = p.config->filters;
    EXPECT_TRUE(f.need_state());
    EXPECT_TRUE(f.get<filters::greylist::GreylistConfig>().enabled);
    const auto& g = f.get<filters::greylist::GreylistConfig>();
    EXPECT_EQ(g.ipv4_prefix, 32u);
    EXPECT_EQ(g.ipv6_prefix, 48u);
    EXPECT_EQ(g.delay, std::chrono::seconds(90));
    EXPECT_EQ(g.window, std::chrono::hours(4));
    EXPECT_EQ(g.pass_lifetime, std::chrono::hours(720));
    EXPECT_EQ(g.auto_allow_after, 0u);
    ASSERT_EQ(g.allow_networks.size(), 3u);
    EXPECT_EQ(g.allow_networks[0], *mxgate::settings::parse_network("192.0.2.0/24"));
    EXPECT_EQ(g.allow_networks[1], *mxgate::settings::parse_network("2001:db8::/32"));
    EXPECT_EQ(g.allow_networks[2].prefix_length, 32u);
    EXPECT_TRUE(g.allow_networks[0].contains(ip::make_address("192.0.2.200")));
    EXPECT_EQ(g.allow_sender_domains, (std::vector<std::string>{"example.com", ".lists.example.net"}));
    EXPECT_TRUE(g.allow_recipient_domains.empty());
    EXPECT_TRUE(g.skip_spf_pass);
    EXPECT_FALSE(g.fail_open);
    EXPECT_TRUE(f.get<filters::greylist::RateLimitConfig>().enabled);
    const auto& r = f.get<filters::greylist::RateLimitConfig>();
    EXPECT_EQ(r.max_connections_per_window, 0u);
    EXPECT_EQ(r.max_messages_per_window, 30u);
    EXPECT_EQ(r.window, std::chrono::minutes(5));
    EXPECT_EQ(r.ipv4_prefix, 24u);
    EXPECT_EQ(r.ipv6_prefix, 56u);
    EXPECT_FALSE(r.fail_open);
    EXPECT_EQ(p.config->state.sqlite.path, (dir.path() / "var/state.db").string());
}

TEST(ConfigFilters, SpfAndDnsblDecodeEveryKey) {
    const Parsed p = parse(minimal +
                           "server: {hostname: mx.example.net, authserv_id: auth.example.net}\n"
                           "filters:\n"
                           "  spf:\n"
                           "    enabled: true\n"
                           "    timeout: 3s\n"
                           "    receiver: spf.example.net\n"
                           "    skip_trusted: false\n"
                           "    max_dns_mechanisms: 12\n"
                           "    max_dns_mx: 5\n"
                           "    max_dns_ptr: 6\n"
                           "    max_void_lookups: 0\n"
                           "    max_queries: 100\n"
                           "    on_pass: proceed\n"
                           "    on_fail: tempfail\n"
                           "    on_softfail: reject\n"
                           "    on_neutral: proceed\n"
                           "    on_none: proceed\n"
                           "    on_temperror: proceed\n"
                           "    on_permerror: reject\n"
                           "  dnsbl:\n"
                           "    enabled: true\n"
                           "    skip_trusted: false\n"
                           "    reject_score: 3\n"
                           "    lists:\n"
                           "      - {name: zen, zone: Zen.Example, codes: [\"127.0.0.2\", \"127.0.0.3\"], weight: 2,"
                           " timeout: 800ms, ipv6: false, fetch_reason: false}\n"
                           "      - {name: surbl, zone: multi.example, type: sender_domain, bitmask: 0x0c}\n"
                           "      - {name: wl, zone: wl.example, type: ip, allow: true, weight: -5}\n"
                           "      - {name: helo, zone: helo.example, type: helo, bitmask: 4}\n"
                           "      - {name: rdns, zone: rdns.example, type: rdns}\n"
                           "    fcrdns: {enabled: false, timeout: 2s, max_names: 3}\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_EQ(p.config->server.authserv_id, "auth.example.net");
    const auto& f = p.config->filters;
    EXPECT_TRUE(f.need_resolver());
    EXPECT_FALSE(f.need_state());
    using Kind = filters::spf::SpfAction::Kind;
    const auto& spf = f.get<filters::spf::SpfConfig>();
    EXPECT_TRUE(f.get<filters::spf::SpfConfig>().enabled);
    EXPECT_EQ(spf.timeout, std::chrono::seconds(3));
    EXPECT_EQ(spf.receiver, "spf.example.net");
    EXPECT_FALSE(spf.skip_trusted);
    EXPECT_EQ(spf.max_dns_mechanisms, 12);
    EXPECT_EQ(spf.max_dns_mx, 5);
    EXPECT_EQ(spf.max_dns_ptr, 6);
    EXPECT_EQ(spf.max_void_lookups, 0);
    EXPECT_EQ(spf.max_queries, 100);
    EXPECT_EQ(spf.on_fail, filters::spf::spf_action(Kind::tempfail, false));
    EXPECT_EQ(spf.on_fail.code, 451u);
    EXPECT_EQ(spf.on_fail.enhanced, "4.7.23");
    EXPECT_EQ(spf.on_softfail.code, 550u);
    EXPECT_EQ(spf.on_temperror.kind, Kind::proceed);
    EXPECT_EQ(spf.on_permerror, filters::spf::spf_action(Kind::reject, true));
    EXPECT_EQ(spf.on_permerror.enhanced, "5.7.24");
    const auto& bl = f.get<filters::dnsbl::DnsblConfig>();
    EXPECT_TRUE(f.get<filters::dnsbl::DnsblConfig>().enabled);
    EXPECT_FALSE(bl.skip_trusted);
    EXPECT_EQ(bl.reject_score, 3);
    ASSERT_EQ(bl.lists.size(), 5u);
    EXPECT_EQ(bl.lists[0].zone, "zen.example");
    EXPECT_EQ(bl.lists[0].codes, (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
    EXPECT_EQ(bl.lists[0].weight, 2);
    EXPECT_EQ(bl.lists[0].timeout, std::chrono::milliseconds(800));
    EXPECT_FALSE(bl.lists[0].ipv6);
    EXPECT_FALSE(bl.lists[0].fetch_reason);
    EXPECT_EQ(bl.lists[1].type, filters::dnsbl::ListType::sender_domain);
    EXPECT_EQ(bl.lists[1].bitmask, 0x0cu);
    EXPECT_TRUE(bl.lists[2].allow);
    EXPECT_EQ(bl.lists[2].weight, -5);
    EXPECT_EQ(bl.lists[3].type, filters::dnsbl::ListType::helo);
    EXPECT_EQ(bl.lists[3].bitmask, 4u);
    EXPECT_EQ(bl.lists[4].type, filters::dnsbl::ListType::rdns);
    EXPECT_FALSE(bl.fcrdns.enabled);
    EXPECT_EQ(bl.fcrdns.timeout, std::chrono::seconds(2));
    EXPECT_EQ(bl.fcrdns.max_names, 3u);
}

TEST(ConfigFilters, ReceiverAndAuthservIdDefaultToTheHostname) {
    const Parsed p = parse(minimal + "server: {hostname: mx.example.net}\n");
    ASSERT_NE(p.config, nullptr);
    EXPECT_EQ(p.config->server.authserv_id, "mx.example.net");
    EXPECT_EQ(p.config->filters.get<filters::spf::SpfConfig>().receiver, "mx.example.net");
}

// ---- errors: exact text ------------------------------------------------------

TEST(ConfigFiltersErrors, UnknownKeysSuggestTheClosest) {
    expect_error(minimal + "filters:\n  greylist:\n    dealy: 5m\n",
                 "t.yaml:9:5: unknown key 'dealy' in filters.greylist; did you mean 'delay'?");
    expect_error(minimal + "filters: {greylisting: {}}\n",
                 "t.yaml:7:11: unknown key 'greylisting' in filters; did you mean 'greylist'?");
    expect_error(minimal + "filters: {rate_limit: {max_connection_per_window: 5}}\n",
                 "t.yaml:7:24: unknown key 'max_connection_per_window' in filters.rate_limit; did you mean "
                 "'max_connections_per_window'?");
    expect_error(minimal + "dns: {server: [\"::1\"]}\n",
                 "t.yaml:7:7: unknown key 'server' in dns; did you mean 'servers'?");
    const Parsed stub = parse(minimal + "dns: {stub_zones: [{zone: bl.example, server: [\"::1\"]}]}\n");
    EXPECT_EQ(stub.errors, (std::vector<std::string>{
                               "t.yaml:7:20: dns.stub_zones[0]: missing key 'servers'",
                               "t.yaml:7:39: unknown key 'server' in dns.stub_zones[0]; did you mean 'servers'?"}));
    expect_error(minimal + "state: {redis: {hots: localhost}}\n",
                 "t.yaml:7:17: unknown key 'hots' in state.redis; did you mean 'host'?");
    expect_error(minimal + "stat: {backend: redis}\n",
                 "t.yaml:7:1: unknown key 'stat' at the top level; did you mean 'state'?");
}

TEST(ConfigFiltersErrors, DnsServers) {
    const std::string syntax = "expected an IP address or \"address@port\" with a port from 1 to 65535 like "
                               "\"127.0.0.1@5353\", got ";
    expect_error(minimal + "dns: {servers: [\"::1\", \"dns.example.org\"]}\n",
                 "t.yaml:7:24: dns.servers[1]: " + syntax + "\"dns.example.org\"");
    expect_error(minimal + "dns: {servers: [\"127.0.0.1:53\"]}\n",
                 "t.yaml:7:17: dns.servers[0]: " + syntax + "\"127.0.0.1:53\"");
    expect_error(minimal + "dns: {servers: [\"127.0.0.1@0\"]}\n",
                 "t.yaml:7:17: dns.servers[0]: " + syntax + "\"127.0.0.1@0\"");
    expect_error(minimal + "dns: {servers: [\"127.0.0.1@65536\"]}\n",
                 "t.yaml:7:17: dns.servers[0]: " + syntax + "\"127.0.0.1@65536\"");
    expect_error(minimal + "dns: {servers: [\"fe80::1%eth0\"]}\n",
                 "t.yaml:7:17: dns.servers[0]: " + syntax + "\"fe80::1%eth0\"");
    expect_error(minimal + "dns: {servers: 127.0.0.1}\n",
                 "t.yaml:7:16: dns.servers: expected a list of servers like \"127.0.0.1@5353\", got \"127.0.0.1\"");
    expect_error(minimal + "dns:\n  stub_zones:\n    - {zone: bl.example, servers: [\"127.0.0.1@x\"]}\n",
                 "t.yaml:9:36: dns.stub_zones[0].servers[0]: " + syntax + "\"127.0.0.1@x\"");
}

TEST(ConfigFiltersErrors, DnsStubZones) {
    expect_error(minimal + "dns:\n  stub_zones:\n    - {zone: bl.example, servers: []}\n",
                 "t.yaml:9:35: dns.stub_zones[0].servers: expected at least one server like \"127.0.0.1@5300\", "
                 "got an empty list");
    expect_error(minimal + "dns:\n  stub_zones:\n    - {zone: bl_example, servers: [\"::1\"]}\n",
                 "t.yaml:9:14: dns.stub_zones[0].zone: expected a DNS zone like \"bl.example\", got \"bl_example\"");
    expect_error(minimal + "dns:\n  stub_zones:\n    - {zone: bl.example, servers: [\"::1\"]}\n"
                           "    - {zone: BL.example, servers: [\"::2\"]}\n",
                 "t.yaml:10:14: dns.stub_zones[1].zone: zone 'bl.example' is listed twice in dns.stub_zones");
    expect_error(minimal + "dns:\n  stub_zones: [bl.example]\n",
                 "t.yaml:8:16: dns.stub_zones[0]: expected a map like {zone: bl.example, servers: "
                 "[\"127.0.0.1@5300\"]}, got \"bl.example\"");
}

TEST(ConfigFiltersErrors, DnsValues) {
    expect_error(minimal + "dns: {timeout: 0s}\n",
                 "t.yaml:7:16: dns.timeout: expected a duration from 1ms to 5m with a unit (ms, s, m, h) like \"30s\", "
                 "got \"0s\"");
    expect_error(minimal + "dns: {cache_size: 4mb}\n",
                 "t.yaml:7:19: dns.cache_size: expected a size from 64KiB to 4GiB like \"50MiB\" (units: B, KiB, MiB, "
                 "GiB, kB, MB, GB), got \"4mb\"");
    expect_error(minimal + "dns: {dnssec: yes}\n", "t.yaml:7:15: dns.dnssec: expected true or false, got \"yes\"");
    expect_error(minimal + "dns: {resolv_conf: \"\"}\n",
                 "t.yaml:7:20: dns.resolv_conf: expected a file path, got \"\"");
}

TEST(ConfigFiltersErrors, WholeSecondDurations) {
    const std::string what = "expected a duration in whole seconds from 0s to 168h with a unit (s, m, h) like \"30s\", got ";
    expect_error(minimal + "dns: {max_cache_ttl: 1500ms}\n", "t.yaml:7:22: dns.max_cache_ttl: " + what + "\"1500ms\"");
    expect_error(minimal + "dns: {max_negative_cache_ttl: 3600}\n",
                 "t.yaml:7:31: dns.max_negative_cache_ttl: " + what + "\"3600\" without a unit");
    expect_error(minimal + "dns: {max_cache_ttl: 169h}\n", "t.yaml:7:22: dns.max_cache_ttl: " + what + "\"169h\"");
    const Parsed ms = parse(minimal + "dns: {max_cache_ttl: 2000ms}\n");  // whole seconds written in ms
    ASSERT_NE(ms.config, nullptr);
    EXPECT_EQ(ms.config->dns.max_cache_ttl, std::chrono::seconds(2));
    expect_error(minimal + "filters: {rate_limit: {window: 0s}}\n",
                 "t.yaml:7:32: filters.rate_limit.window: expected a duration in whole seconds from 1s to 24h with a "
                 "unit (s, m, h) like \"30s\", got \"0s\"");
    expect_error(minimal + "filters: {greylist: {pass_lifetime: 36d}}\n",
                 "t.yaml:7:37: filters.greylist.pass_lifetime: expected a duration in whole seconds from 1s to 8760h "
                 "with a unit (s, m, h) like \"30s\", got \"36d\"");
}

TEST(ConfigFiltersErrors, GreylistDelayMustBeLessThanWindow) {
    expect_error(minimal + "filters:\n  greylist:\n    delay: 2h\n    window: 2h\n",
                 "t.yaml:9:12: filters.greylist.delay: delay (2h) must be less than window (2h)");
    // Only the window is written: the error points at it.
    expect_error(minimal + "filters:\n  greylist:\n    window: 3m\n",
                 "t.yaml:9:13: filters.greylist.window: delay (5m) must be less than window (3m)");
    expect_error(minimal + "filters: {greylist: {window: 0s}}\n",
                 "t.yaml:7:30: filters.greylist.window: expected a duration in whole seconds from 1s to 720h with a "
                 "unit (s, m, h) like \"30s\", got \"0s\"");
}

TEST(ConfigFiltersErrors, GreylistValues) {
    expect_error(minimal + "filters: {greylist: {ipv4_prefix: 7}}\n",
                 "t.yaml:7:35: filters.greylist.ipv4_prefix: expected a whole number from 8 to 32, got \"7\"");
    expect_error(minimal + "filters: {greylist: {ipv6_prefix: 129}}\n",
                 "t.yaml:7:35: filters.greylist.ipv6_prefix: expected a whole number from 16 to 128, got \"129\"");
    expect_error(minimal + "filters: {greylist: {allow_networks: [\"192.0.2.1/24\"]}}\n",
                 "t.yaml:7:39: filters.greylist.allow_networks[0]: \"192.0.2.1/24\" has bits set after the /24 prefix; "
                 "did you mean \"192.0.2.0/24\"?");
    expect_error(minimal + "filters: {greylist: {allow_networks: [example.org]}}\n",
                 "t.yaml:7:39: filters.greylist.allow_networks[0]: expected a network like \"192.0.2.0/24\", "
                 "\"2001:db8::/32\" or an address, got \"example.org\"");
    expect_error(minimal + "filters: {greylist: {allow_sender_domains: [\"example.com\", \"a@b.example\"]}}\n",
                 "t.yaml:7:60: filters.greylist.allow_sender_domains[1]: expected a domain like \"example.org\" "
                 "(subdomains match too), got \"a@b.example\"");
    expect_error(minimal + "filters: {greylist: {allow_recipient_domains: example.org}}\n",
                 "t.yaml:7:47: filters.greylist.allow_recipient_domains: expected a list of domains, got "
                 "\"example.org\"");
    expect_error(minimal + "filters: {greylist: {enabled: on}}\n",
                 "t.yaml:7:31: filters.greylist.enabled: expected true or false, got \"on\"");
    expect_error(minimal + "filters: {greylist: []}\n", "t.yaml:7:21: filters.greylist: expected a map, got a list");
}

TEST(ConfigFiltersErrors, SpfValues) {
    expect_error(minimal + "filters: {spf: {on_fail: bounce}}\n",
                 "t.yaml:7:26: filters.spf.on_fail: expected one of proceed, tempfail, reject, got \"bounce\"");
    expect_error(minimal + "filters: {spf: {max_queries: 0}}\n",
                 "t.yaml:7:30: filters.spf.max_queries: expected a whole number from 1 to 1000, got \"0\"");
    // The thread pool went with libspf2 (issue 10): an old config is told where the key is.
    expect_error(minimal + "filters: {spf: {threads: 2}}\n", "t.yaml:7:17: unknown key 'threads' in filters.spf");
    expect_error(minimal + "filters: {spf: {receiver: \"not a host\"}}\n",
                 "t.yaml:7:27: filters.spf.receiver: expected a host name like \"mx.example.org\", got \"not a host\"");
}

TEST(ConfigFiltersErrors, DnsblValues) {
    expect_error(minimal + "filters: {dnsbl: {lists: [{zone: zen.example}]}}\n",
                 "t.yaml:7:27: filters.dnsbl.lists[0]: missing key 'name'");
    expect_error(minimal + "filters: {dnsbl: {lists: [{name: zen, zone: zen.example, weight: -1001}]}}\n",
                 "t.yaml:7:66: filters.dnsbl.lists[0].weight: expected a whole number from -1000 to 1000, got \"-1001\"");
    expect_error(minimal + "filters: {dnsbl: {lists: [{name: zen, zone: zen.example, bitmask: 0xzz}]}}\n",
                 "t.yaml:7:67: filters.dnsbl.lists[0].bitmask: expected a 32-bit mask like 0x04 or 4, got \"0xzz\"");
    expect_error(minimal + "filters: {dnsbl: {lists: [{name: zen, zone: zen.example, type: url}]}}\n",
                 "t.yaml:7:64: filters.dnsbl.lists[0].type: expected one of ip, helo, sender_domain, rdns, got \"url\"");
    expect_error(minimal + "filters: {dnsbl: {lists: [{name: Zen, zone: zen.example}]}}\n",
                 "t.yaml:7:34: filters.dnsbl.lists[0].name: 'Zen': use a-z, 0-9, '_' and '-'");
    expect_error(minimal + "filters: {dnsbl: {lists: [{name: a, zone: x.example}, {name: a, zone: y.example}]}}\n",
                 "t.yaml:7:62: filters.dnsbl.lists[1].name: 'a' used twice");
    expect_error(minimal + "filters: {dnsbl: {lists: [{name: a, zone: x.example, codes: [127.0.0.2], bitmask: 2}]}}\n",
                 "t.yaml:7:26: filters.dnsbl.lists[0]: codes and bitmask exclude each other");
    expect_error(minimal + "filters: {dnsbl: {reject_score: -1}}\n",
                 "t.yaml:7:33: filters.dnsbl.reject_score: expected a whole number from 0 to 100000, got \"-1\"");
}

TEST(ConfigFiltersErrors, RateLimitValues) {
    expect_error(minimal + "filters: {rate_limit: {max_messages_per_window: -1}}\n",
                 "t.yaml:7:49: filters.rate_limit.max_messages_per_window: expected a whole number from 0 to "
                 "1000000000, got \"-1\"");
    expect_error(minimal + "filters: {rate_limit: {ipv6_prefix: 8}}\n",
                 "t.yaml:7:37: filters.rate_limit.ipv6_prefix: expected a whole number from 16 to 128, got \"8\"");
}

TEST(ConfigFiltersErrors, StateValues) {
    expect_error(minimal + "state: {backend: memcached}\n",
                 "t.yaml:7:18: state.backend: expected one of sqlite, redis, got \"memcached\"");
    expect_error(minimal + "state:\n  redis:\n    port: 65536\n",
                 "t.yaml:9:11: state.redis.port: expected a whole number from 1 to 65535, got \"65536\"");
    expect_error(minimal + "state: {redis: {port: 0}}\n",
                 "t.yaml:7:23: state.redis.port: expected a whole number from 1 to 65535, got \"0\"");
    expect_error(minimal + "state: {redis: {host: \"\"}}\n",
                 "t.yaml:7:23: state.redis.host: expected an IP address or a host name like \"redis.example.org\", "
                 "got \"\"");
    expect_error(minimal + "state: {redis: {timeout: 0ms}}\n",
                 "t.yaml:7:26: state.redis.timeout: expected a duration from 1ms to 5m with a unit (ms, s, m, h) like "
                 "\"30s\", got \"0ms\"");
    expect_error(minimal + "state: {sqlite: {busy_timeout: 2}}\n",
                 "t.yaml:7:32: state.sqlite.busy_timeout: expected a duration from 1ms to 5m with a unit (ms, s, m, h) "
                 "like \"30s\", got \"2\" without a unit");
    expect_error(minimal + "state: {sqlite: /var/lib/mxgate/state.db}\n",
                 "t.yaml:7:17: state.sqlite: expected a map, got \"/var/lib/mxgate/state.db\"");
}

// ---- cross-checks ---------------------------------------------------------------

TEST(ConfigFiltersChecks, SqliteDirectoryMustExistWhenAStatefulFilterIsOn) {
    TempDir dir;
    const std::string source = (dir.path() / "mxgate.yaml").string();
    const std::string yaml = minimal + "state:\n  sqlite: {path: nope/state.db}\nfilters: {greylist: {enabled: true}}\n";
    Parsed p = parse(yaml, source);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0], source + ":8:18: state.sqlite.path: the directory of \"nope/state.db\" does not exist "
                                    "(filters.greylist needs the state store; mxgate creates the file, not the "
                                    "directory)");
    // Filters off, or Redis: the SQLite file is not used, so not checked.
    EXPECT_NE(parse(minimal + "state:\n  sqlite: {path: nope/state.db}\n", source).config, nullptr);
    EXPECT_NE(parse(minimal + "state:\n  backend: redis\n  sqlite: {path: nope/state.db}\n"
                              "filters: {rate_limit: {enabled: true}}\n", source).config,
              nullptr);
    fs::create_directories(dir.path() / "nope");
    EXPECT_NE(parse(yaml, source).config, nullptr);
}

TEST(ConfigFiltersChecks, SqlitePathRequiredWhenAStatefulFilterIsOn) {
    expect_error(minimal + "state: {sqlite: {path: \"\"}}\nfilters: {rate_limit: {enabled: true}}\n",
                 "t.yaml:7:24: state.sqlite.path: expected the path of the SQLite file (filters.rate_limit needs the "
                 "state store), got \"\"");
    TempDir dir;
    expect_error(minimal + "state: {sqlite: {path: \"" + dir.path().string() + "\"}}\nfilters: {rate_limit: {enabled: true}}\n",
                 "t.yaml:7:24: state.sqlite.path: \"" + dir.path().string() +
                     "\" is a directory; expected the path of the SQLite file");
}

TEST(ConfigFiltersChecks, DefaultSqlitePathIsCheckedAtTheEnabledKey) {
    if (fs::is_directory("/var/lib/mxgate")) GTEST_SKIP() << "/var/lib/mxgate exists here";
    expect_error(minimal + "filters:\n  greylist: {enabled: true}\n",
                 "t.yaml:8:23: state.sqlite.path: the directory of \"/var/lib/mxgate/state.db\" does not exist "
                 "(filters.greylist needs the state store; mxgate creates the file, not the directory)");
}

TEST(ConfigFiltersChecks, DnssecTrustAnchorMustBeReadableWhenDnssecIsOn) {
    TempDir dir;
    const std::string source = (dir.path() / "mxgate.yaml").string();
    const std::string yaml = minimal + "dns: {dnssec: true, dnssec_trust_anchor_file: root.key}\n";
    Parsed p = parse(yaml, source);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0], source + ":7:47: dns.dnssec_trust_anchor_file: cannot read \"root.key\": No such file or "
                                    "directory (needed by dns.dnssec: true)");
    EXPECT_NE(parse(minimal + "dns: {dnssec: false, dnssec_trust_anchor_file: root.key}\n", source).config, nullptr);
    dir.write("root.key", ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
    EXPECT_NE(parse(yaml, source).config, nullptr);
}

// ---- round trip -------------------------------------------------------------------

TEST(ConfigFiltersDump, DefaultsRoundTrip) {
    const Parsed first = parse(minimal);
    ASSERT_NE(first.config, nullptr);
    const std::string dumped = dump_config(*first.config);
    const Parsed second = parse(dumped);
    ASSERT_NE(second.config, nullptr) << (second.errors.empty() ? "" : second.errors.front()) << "\n" << dumped;
    EXPECT_EQ(*second.config, *first.config) << dumped;
    EXPECT_NE(dumped.find("pass_lifetime: 864h\n"), std::string::npos) << dumped;
    EXPECT_NE(dumped.find("cache_size: 4MiB\n"), std::string::npos) << dumped;
    EXPECT_NE(dumped.find("backend: sqlite\n"), std::string::npos) << dumped;
    EXPECT_NE(dumped.find("stub_zones: []\n"), std::string::npos) << dumped;
}

TEST(ConfigFiltersDump, NonDefaultValuesRoundTrip) {
    TempDir dir;
    dir.write("var/root.key", ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
    const std::string source = (dir.path() / "conf/mxgate.yaml").string();
    const std::string yaml = minimal +
                             "dns:\n"
                             "  servers: [\"127.0.0.1@5353\", \"::1\"]\n"
                             "  resolv_conf: ../var/resolv.conf\n"
                             "  stub_zones: [{zone: bl.example, servers: [\"127.0.0.1@5300\", \"::1@5300\"]}, "
                             "{zone: wl.example., servers: [\"192.0.2.1\"]}]\n"
                             "  timeout: 250ms\n"
                             "  dnssec: true\n"
                             "  dnssec_trust_anchor_file: ../var/root.key\n"
                             "  cache_size: 1000kB\n"
                             "  max_cache_ttl: 90s\n"
                             "  max_negative_cache_ttl: 0s\n"
                             "state:\n"
                             "  backend: sqlite\n"
                             "  key_prefix: \"null\"\n"
                             "  sqlite: {path: ../var/state.db, busy_timeout: 1500ms}\n"
                             "  redis: {host: \"2001:db8::6\", port: 6390, db: 15, password: \"p: w#d\", timeout: 2s,"
                             " reconnect_interval: 0ms}\n"
                             "filters:\n"
                             "  greylist: {enabled: true, ipv4_prefix: 8, ipv6_prefix: 128, delay: 0s, window: 1s,"
                             " pass_lifetime: 8760h, auto_allow_after: 1000000,"
                             " allow_networks: [\"10.0.0.0/8\", \"::/0\"], allow_sender_domains: [.example.com],"
                             " allow_recipient_domains: [postmaster.example.org], skip_spf_pass: true, fail_open: false}\n"
                             "  rate_limit: {enabled: true, max_connections_per_window: 1000000000,"
                             " max_messages_per_window: 0, window: 24h, ipv4_prefix: 16, ipv6_prefix: 16,"
                             " fail_open: false}\n"
                             "  spf: {enabled: true, timeout: 500ms, receiver: spf.example, skip_trusted: false,"
                             " max_void_lookups: 5, on_fail: tempfail, on_permerror: reject, on_softfail: reject}\n"
                             "  dnsbl: {enabled: true, reject_score: 0, skip_trusted: false,"
                             " lists: [{name: zen, zone: zen.example, codes: [\"127.0.0.2\"], weight: -3, timeout: 1500ms,"
                             " ipv6: false, fetch_reason: false}, {name: m, zone: m.example, type: rdns, bitmask: 0x80000000}],"
                             " fcrdns: {enabled: false, timeout: 20ms, max_names: 100}}\n";
    const Parsed first = parse(yaml, source);
    ASSERT_NE(first.config, nullptr) << (first.errors.empty() ? "" : first.errors.front());
    const Config& c = *first.config;
    EXPECT_NE(c.dns, filters::dns::DnsConfig{});
    EXPECT_NE(c.state, filters::state::StateConfig{});
    EXPECT_EQ(c.state.redis.password, "p: w#d");
    EXPECT_EQ(c.state.key_prefix, "null");
    const std::string dumped = dump_config(c);
    // The password is the one value the dump does not repeat.
    EXPECT_EQ(dumped.find("p: w#d"), std::string::npos) << dumped;
    EXPECT_NE(dumped.find("password: \"<redacted>\"\n"), std::string::npos) << dumped;
    Config expected = c;
    expected.state.redis.password = redacted;
    const Parsed second = parse(dumped, source);
    ASSERT_NE(second.config, nullptr) << (second.errors.empty() ? "" : second.errors.front()) << "\n" << dumped;
    EXPECT_EQ(second.config->dns, c.dns) << dumped;
    EXPECT_EQ(second.config->state, expected.state) << dumped;
    EXPECT_EQ(second.config->filters, c.filters) << dumped;
    EXPECT_EQ(*second.config, expected) << dumped;
    EXPECT_EQ(dump_config(*second.config), dumped);
    EXPECT_NE(dumped.find("resolv_conf: \"" + (dir.path() / "var/resolv.conf").string() + "\"\n"), std::string::npos)
        << dumped;
}

}  // namespace
}  // namespace mxgate::config
