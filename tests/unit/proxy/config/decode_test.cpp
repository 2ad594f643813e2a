// Config decoding: good configs, every kind of error with its exact
// "file:line:column: message" text, value syntax (durations, sizes, endpoints,
// networks), Network::contains, and the dump_config -> parse_config round trip.
// TLS cases use a throwaway self-signed certificate made with the openssl CLI.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proxy/config/decode.hpp"
#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate::config {
namespace {

namespace fs = std::filesystem;
namespace ip = boost::asio::ip;

using namespace test;

// A self-signed certificate and key (and a second, unrelated key) for the TLS checks.
class ConfigTls : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        fs::create_directories(dir_->path() / "var/tls");
        const std::string tls = (dir_->path() / "var/tls").string();
        const std::string command =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost"
            " -keyout " + tls + "/key.pem -out " + tls + "/cert.pem >/dev/null 2>&1"
            " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out " + tls +
            "/other-key.pem >/dev/null 2>&1";
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }
    // Source path in the temp dir's conf/, so "../var/tls/..." resolves there.
    static std::string source() { return (dir_->path() / "conf/mxgate.yaml").string(); }
    static const TempDir* dir_;
};
const TempDir* ConfigTls::dir_ = nullptr;

const std::string full_config = R"(server: {hostname: mx.example.org, banner: "ESMTP mxgate", workers: 0, user: "", group: ""}
listeners:
  - {address: "127.0.0.1:2525", tls: starttls}
  - {address: "[::1]:0", tls: implicit, proxy_protocol: false}
tls: {certificate: ../var/tls/cert.pem, private_key: ../var/tls/key.pem, min_version: TLSv1.2, ciphers: ""}
limits: {max_command_line_length: 2048, max_text_line_length: 1000, max_recipients: 1000, max_message_size: 50MiB, max_errors: 20, max_junk_commands: 100, max_connections: 5000, max_connections_per_ip: 50, max_transactions_per_session: 1000}
timeouts: {command: 5m, data: 10m, tls_handshake: 30s, shutdown: 30s, backend_connect: 30s, backend_reply: 5m, backend_data_done: 10m, backend_idle: 60s}
trusted_networks: ["127.0.0.0/8", "::1/128"]
domains:
  Example.ORG: local
  .example.net: mx
  "*": store
backends:
  local: {type: maildir, path: ../var/maildir}
  mx: {type: smtp, servers: ["127.0.0.1:2526", "10.0.0.2:25"], tls: none, tls_verify: false, ca_file: "", tls_server_name: "", client_identity: auto, helo_name: "", max_idle_connections: 16}
  store: {type: lmtp, servers: ["127.0.0.1:24"]}
logging: {level: info, format: text}
)";

// ---- good configs ---------------------------------------------------------

TEST(ConfigDecode, MinimalConfigGetsTheStructDefaults) {
    const Parsed p = parse(minimal);
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const Config& c = *p.config;
    EXPECT_EQ(c.source, "t.yaml");
    EXPECT_FALSE(c.server.hostname.empty());  // filled from gethostname()
    EXPECT_EQ(c.server.banner, "ESMTP mxgate");
    EXPECT_EQ(c.limits, Limits{});
    EXPECT_EQ(c.timeouts, Timeouts{});
    EXPECT_EQ(c.tls, Tls{});
    EXPECT_EQ(c.logging, Logging{});
    EXPECT_TRUE(c.trusted_networks.empty());
    EXPECT_TRUE(c.xclient_networks.empty());  // XCLIENT refused for everybody
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address.host, "127.0.0.1");
    EXPECT_EQ(c.listeners[0].address.port, 2525);
    EXPECT_EQ(c.listeners[0].tls, ListenerTls::none);
    ASSERT_EQ(c.backends.count("local"), 1u);
    EXPECT_EQ(c.backends.at("local").kind, BackendKind::maildir);
    EXPECT_EQ(c.backends.at("local").name, "local");
    EXPECT_EQ(c.backends.at("local").path, "/var/mail");
}

TEST_F(ConfigTls, FullConfigDecodesEveryField) {
    const Parsed p = parse(full_config, source());
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const Config& c = *p.config;
    const fs::path root = dir_->path();
    EXPECT_EQ(c.server.hostname, "mx.example.org");
    ASSERT_EQ(c.listeners.size(), 2u);
    EXPECT_EQ(c.listeners[0].tls, ListenerTls::starttls);
    EXPECT_EQ(c.listeners[1].address.host, "::1");
    EXPECT_EQ(c.listeners[1].address.port, 0);
    EXPECT_EQ(c.listeners[1].tls, ListenerTls::implicit);
    EXPECT_EQ(c.tls.certificate, (root / "var/tls/cert.pem").string());
    EXPECT_EQ(c.tls.private_key, (root / "var/tls/key.pem").string());
    EXPECT_EQ(c.limits.max_message_size.bytes, 50ull * 1024 * 1024);
    EXPECT_EQ(c.timeouts.command, 5min);
    EXPECT_EQ(c.timeouts.backend_idle, 60s);
    ASSERT_EQ(c.trusted_networks.size(), 2u);
    EXPECT_EQ(c.trusted_networks[1].address, ip::make_address("::1"));
    EXPECT_EQ(c.trusted_networks[1].prefix_length, 128u);
    const std::map<std::string, std::string> domains{{"example.org", "local"}, {".example.net", "mx"}, {"*", "store"}};
    EXPECT_EQ(c.domains, domains);  // keys lower-cased
    EXPECT_EQ(c.backends.at("local").path, (root / "var/maildir").string());
    const Backend& mx = c.backends.at("mx");
    EXPECT_EQ(mx.kind, BackendKind::smtp);
    ASSERT_EQ(mx.servers.size(), 2u);
    EXPECT_EQ(mx.servers[1].str(), "10.0.0.2:25");
    EXPECT_EQ(mx.client_identity, ClientIdentity::auto_);
    EXPECT_EQ(mx.max_idle_connections, 16u);
    EXPECT_EQ(c.backends.at("store").kind, BackendKind::lmtp);
}

TEST(ConfigDecode, EmptySectionsMeanDefaults) {
    const Parsed p = parse(minimal + "server:\ntls:\nlimits: {}\ntimeouts:\nlogging:\ntrusted_networks:\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_EQ(p.config->limits, Limits{});
}

TEST(ConfigDecode, RelativePathsResolveAgainstTheConfigDirectory) {
    const std::string yaml = listeners + "domains: {example.org: local}\nbackends:\n  local: {type: maildir, path: ../var/maildir}\n";
    const Parsed p = parse(yaml, "/etc/mxgate/conf/mxgate.yaml");
    ASSERT_NE(p.config, nullptr);
    EXPECT_EQ(p.config->backends.at("local").path, "/etc/mxgate/var/maildir");

    const Parsed relative = parse(yaml, "conf/mxgate.yaml");
    ASSERT_NE(relative.config, nullptr);
    EXPECT_EQ(relative.config->backends.at("local").path, (fs::current_path() / "var/maildir").string());
}

TEST(ConfigDecode, SmtpBackendKeysAndDefaults) {
    const Parsed p = parse(listeners + "domains: {example.org: mx}\nbackends:\n"
                           "  mx: {type: smtp, servers: [\"mail.example.net:25\", \"[2001:db8::1]:2525\"],"
                           " tls: required, tls_verify: true, tls_server_name: mail.example.net,"
                           " client_identity: xforward, helo_name: gw.example.org, max_idle_connections: 0}\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const Backend& mx = p.config->backends.at("mx");
    EXPECT_EQ(mx.servers[0].host, "mail.example.net");
    EXPECT_EQ(mx.servers[1].host, "2001:db8::1");
    EXPECT_EQ(mx.servers[1].str(), "[2001:db8::1]:2525");
    EXPECT_EQ(mx.tls, BackendTls::required);
    EXPECT_TRUE(mx.tls_verify);
    EXPECT_EQ(mx.tls_server_name, "mail.example.net");
    EXPECT_EQ(mx.client_identity, ClientIdentity::xforward);
    EXPECT_EQ(mx.helo_name, "gw.example.org");
    EXPECT_EQ(mx.max_idle_connections, 0u);
    EXPECT_FALSE(mx.allow_untrusted_routing);  // Postfix allow_untrusted_routing = no
}

// ---- errors: exact text ---------------------------------------------------

TEST(ConfigErrors, UnknownKeySuggestsTheClosestKnownKey) {
    expect_error(minimal + "limits:\n  max_recipient: 10\n",
                 "t.yaml:8:3: unknown key 'max_recipient' in limits; did you mean 'max_recipients'?");
    expect_error(minimal + "limit: {max_recipients: 10}\n",
                 "t.yaml:7:1: unknown key 'limit' at the top level; did you mean 'limits'?");
    expect_error(minimal + "server: {hostnme: mx.example.org}\n",
                 "t.yaml:7:10: unknown key 'hostnme' in server; did you mean 'hostname'?");
    expect_error("listeners:\n  - address: \"127.0.0.1:25\"\n    proxy_protocl: false\n" + routes,
                 "t.yaml:3:5: unknown key 'proxy_protocl' in listeners[0]; did you mean 'proxy_protocol'?");
}

TEST(ConfigErrors, UnknownKeyFarFromEveryKnownKeyHasNoSuggestion) {
    expect_error(minimal + "plugins: {}\n", "t.yaml:7:1: unknown key 'plugins' at the top level");
    expect_error(minimal + "limits: {colour: blue}\n", "t.yaml:7:10: unknown key 'colour' in limits");
}

TEST(ConfigErrors, DuplicateKey) {
    expect_error(minimal + "limits:\n  max_errors: 5\n  max_errors: 6\n",
                 "t.yaml:9:3: duplicate key 'max_errors' in limits (first on line 8)");
}

TEST(ConfigErrors, NumbersOutOfRangeOrNotNumbers) {
    expect_error(minimal + "limits:\n  max_recipients: lots\n",
                 "t.yaml:8:19: limits.max_recipients: expected a whole number from 1 to 100000, got \"lots\"");
    expect_error(minimal + "limits: {max_command_line_length: 511}\n",
                 "t.yaml:7:35: limits.max_command_line_length: expected a whole number from 512 to 65536, got \"511\"");
    expect_error(minimal + "limits: {max_text_line_length: 999}\n",
                 "t.yaml:7:32: limits.max_text_line_length: expected 0 (off) or a whole number from 1000 to 1048576, "
                 "got \"999\"");
    expect_error(minimal + "limits: {connection_limit_ipv6_prefix: 129}\n",
                 "t.yaml:7:40: limits.connection_limit_ipv6_prefix: expected a whole number from 16 to 128, got \"129\"");
    expect_error(minimal + "server: {workers: 257}\n",
                 "t.yaml:7:19: server.workers: expected a whole number from 0 to 256, got \"257\"");
    expect_error(minimal + "server: {workers: -1}\n",
                 "t.yaml:7:19: server.workers: expected a whole number from 0 to 256, got \"-1\"");
    expect_error(minimal + "limits: {max_errors: [1]}\n",
                 "t.yaml:7:22: limits.max_errors: expected a whole number from 1 to 1000, got a list");
}

TEST(ConfigErrors, TextLineLengthZeroTurnsTheCheckOff) {
    const Parsed p = parse(minimal + "limits: {max_text_line_length: 0}\n");
    ASSERT_NE(p.config, nullptr);
    EXPECT_EQ(p.config->limits.max_text_line_length, 0u);
}

TEST(ConfigErrors, RecipientOvershootLimitZeroCountsEveryDeferral) {
    const Parsed p = parse(minimal + "limits: {recipient_overshoot_limit: 0}\n");
    ASSERT_NE(p.config, nullptr);
    EXPECT_EQ(p.config->limits.recipient_overshoot_limit, 0u);
    EXPECT_EQ(Limits{}.recipient_overshoot_limit, 1000u) << "Postfix smtpd_recipient_overshoot_limit";
    expect_error(minimal + "limits: {recipient_overshoot_limit: 100001}\n",
                 "t.yaml:7:37: limits.recipient_overshoot_limit: expected a whole number from 0 to 100000, "
                 "got \"100001\"");
}

TEST(ConfigErrors, Durations) {
    expect_error(minimal + "timeouts:\n  command: 300\n",
                 "t.yaml:8:12: timeouts.command: expected a duration from 1ms to 24h with a unit (ms, s, m, h) "
                 "like \"30s\", got \"300\" without a unit");
    expect_error(minimal + "timeouts: {data: 2d}\n",
                 "t.yaml:7:18: timeouts.data: expected a duration from 1ms to 24h with a unit (ms, s, m, h) "
                 "like \"30s\", got \"2d\"");
    expect_error(minimal + "timeouts: {shutdown: 0s}\n",
                 "t.yaml:7:22: timeouts.shutdown: expected a duration from 1ms to 24h with a unit (ms, s, m, h) "
                 "like \"30s\", got \"0s\"");
    expect_error(minimal + "timeouts: {backend_idle: 25h}\n",
                 "t.yaml:7:26: timeouts.backend_idle: expected a duration from 1ms to 24h with a unit (ms, s, m, h) "
                 "like \"30s\", got \"25h\"");
}

TEST(ConfigErrors, EmptyValueIsReportedAtItsKey) {
    expect_error(minimal + "timeouts:\n  command:\n",
                 "t.yaml:8:3: timeouts.command: expected a duration from 1ms to 24h with a unit (ms, s, m, h) "
                 "like \"30s\", got nothing");
}

TEST(ConfigErrors, ByteSizes) {
    expect_error(minimal + "limits: {max_message_size: 50mb}\n",
                 "t.yaml:7:28: limits.max_message_size: expected a size from 1KiB to 4GiB like \"50MiB\" "
                 "(units: B, KiB, MiB, GiB, kB, MB, GB), got \"50mb\"");
    expect_error(minimal + "limits: {max_message_size: 1023}\n",
                 "t.yaml:7:28: limits.max_message_size: expected a size from 1KiB to 4GiB like \"50MiB\" "
                 "(units: B, KiB, MiB, GiB, kB, MB, GB), got \"1023\"");
}

TEST(ConfigErrors, BooleansAndChoices) {
    expect_error("listeners:\n  - {address: \"127.0.0.1:25\", proxy_protocol: yes}\n" + routes,
                 "t.yaml:2:47: listeners[0].proxy_protocol: expected true or false, got \"yes\"");
    expect_error("listeners:\n  - {address: \"127.0.0.1:25\", proxy_protocol: true}\n" + routes,
                 "t.yaml:2:47: listeners[0].proxy_protocol: expected false (the PROXY protocol is not supported "
                 "yet), got \"true\"");
    expect_error("listeners:\n  - {address: \"127.0.0.1:25\", tls: startls}\n" + routes,
                 "t.yaml:2:36: listeners[0].tls: expected one of none, starttls, implicit, got \"startls\"");
    expect_error(minimal + "logging: {level: verbose}\n",
                 "t.yaml:7:18: logging.level: expected one of trace, debug, info, warn, error, got \"verbose\"");
    expect_error(minimal + "tls: {min_version: TLSv1.1}\n",
                 "t.yaml:7:20: tls.min_version: expected one of TLSv1.2, TLSv1.3, got \"TLSv1.1\"");
}

TEST(ConfigErrors, Endpoints) {
    const std::string expected_listener =
        ": listeners[0].address: expected \"host:port\" or \"[IPv6]:port\" with a port from 0 to 65535, got ";
    expect_error("listeners:\n  - address: \"127.0.0.1:65536\"\n" + routes,
                 "t.yaml:2:14" + expected_listener + "\"127.0.0.1:65536\"");
    expect_error("listeners:\n  - address: \"::1:25\"\n" + routes, "t.yaml:2:14" + expected_listener + "\"::1:25\"");
    expect_error("listeners:\n  - address: \"127.0.0.1\"\n" + routes, "t.yaml:2:14" + expected_listener + "\"127.0.0.1\"");
    expect_error("listeners:\n  - address: \"300.0.0.1:25\"\n" + routes,
                 "t.yaml:2:14" + expected_listener + "\"300.0.0.1:25\"");
    expect_error(listeners + "domains: {example.org: mx}\nbackends:\n  mx: {type: smtp, servers: [\"127.0.0.1:0\"]}\n",
                 "t.yaml:5:30: backends.mx.servers[0]: expected \"host:port\" or \"[IPv6]:port\" with a port from 1 "
                 "to 65535, got \"127.0.0.1:0\"");
}

TEST(ConfigErrors, DuplicateListenerAddress) {
    expect_error("listeners:\n  - {address: \"127.0.0.1:25\"}\n  - {address: \"127.0.0.1:25\", tls: none}\n" + routes,
                 "t.yaml:3:15: listeners[1].address: 127.0.0.1:25 is already used by listeners[0]");
    EXPECT_NE(parse("listeners:\n  - {address: \"127.0.0.1:0\"}\n  - {address: \"127.0.0.1:0\"}\n" + routes).config,
              nullptr);  // port 0: two ephemeral ports
}

TEST(ConfigErrors, Networks) {
    expect_error(minimal + "trusted_networks: [\"10.0.0.0/33\"]\n",
                 "t.yaml:7:20: trusted_networks[0]: expected a network like \"192.0.2.0/24\", \"2001:db8::/32\" or an "
                 "address, got \"10.0.0.0/33\"");
    expect_error(minimal + "trusted_networks: [\"10.0.0.1/8\"]\n",
                 "t.yaml:7:20: trusted_networks[0]: \"10.0.0.1/8\" has bits set after the /8 prefix; did you mean "
                 "\"10.0.0.0/8\"?");
    expect_error(minimal + "trusted_networks: [\"localhost\"]\n",
                 "t.yaml:7:20: trusted_networks[0]: expected a network like \"192.0.2.0/24\", \"2001:db8::/32\" or an "
                 "address, got \"localhost\"");
    expect_error(minimal + "trusted_networks: 10.0.0.0/8\n",
                 "t.yaml:7:19: trusted_networks: expected a list of networks, got \"10.0.0.0/8\"");
    expect_error(minimal + "xclient_networks: [\"127.0.0.0/8\", \"nonsense\"]\n",
                 "t.yaml:7:35: xclient_networks[1]: expected a network like \"192.0.2.0/24\", \"2001:db8::/32\" or an "
                 "address, got \"nonsense\"");
}

TEST(ConfigErrors, ListenersAreRequired) {
    expect_error(routes, "t.yaml:1:1: missing key 'listeners'");
    expect_error("listeners: []\n" + routes, "t.yaml:1:12: listeners: expected at least one listener, got an empty list");
    expect_error("listeners:\n  - {tls: none}\n" + routes, "t.yaml:2:5: listeners[0]: missing key 'address'");
}

TEST(ConfigErrors, DomainsAndBackends) {
    expect_error(listeners + "domains:\n  example.org: lcoal\nbackends:\n  local: {type: maildir, path: /m}\n",
                 "t.yaml:4:16: domains.example.org: backend 'lcoal' is not defined in backends; did you mean 'local'?");
    expect_error(listeners + "domains:\n  example_org: local\n  example.org: local\nbackends:\n  local: {type: maildir, path: /m}\n",
                 "t.yaml:4:3: domains: expected a domain name, \".suffix\" or \"*\", got \"example_org\"");
    expect_error(listeners + "domains:\n  example.org: local\n  EXAMPLE.org: local\nbackends:\n  local: {type: maildir, path: /m}\n",
                 "t.yaml:5:3: domains: duplicate domain 'example.org' (first on line 4)");
    expect_error(listeners + "domains: {}\nbackends:\n  local: {type: maildir, path: /m}\n",
                 "t.yaml:3:10: domains: expected at least one domain, got an empty map");
}

TEST(ConfigErrors, BackendRules) {
    const std::string head = listeners + "domains: {example.org: b}\nbackends:\n";  // backend on line 5
    expect_error(head + "  b: {type: smtp}\n", "t.yaml:5:6: backends.b: missing key 'servers'");
    expect_error(head + "  b: {type: lmtp, servers: []}\n",
                 "t.yaml:5:28: backends.b.servers: expected at least one server \"host:port\", got an empty list");
    expect_error(head + "  b: {type: maildir}\n", "t.yaml:5:6: backends.b: missing key 'path'");
    expect_error(head + "  b: {path: /m}\n", "t.yaml:5:6: backends.b: missing key 'type'");
    expect_error(head + "  b: {type: mbox, path: /m}\n",
                 "t.yaml:5:13: backends.b.type: expected one of smtp, lmtp, maildir, got \"mbox\"");
    expect_error(head + "  b: {type: maildir, path: /m, servers: [\"127.0.0.1:25\"]}\n",
                 "t.yaml:5:32: key 'servers' does not apply to a maildir backend (backends.b)");
    expect_error(head + "  b: {type: smtp, servers: [\"127.0.0.1:25\"], path: /m}\n",
                 "t.yaml:5:46: key 'path' does not apply to a smtp backend (backends.b)");
    expect_error(head + "  b: {type: smtp, servers: [\"127.0.0.1:25\"], mixed_outcome_memory: 1h}\n",
                 "t.yaml:5:46: key 'mixed_outcome_memory' does not apply to a smtp backend (backends.b)");
    expect_error(head + "  b: {type: smtp, servers: [\"127.0.0.1:25\"], tls_verify: true}\n",
                 "t.yaml:5:58: backends.b.tls_verify: needs tls: opportunistic or required (tls is none)");
    expect_error(head + "  b: {type: smtp, servers: [\"127.0.0.1:25\"], client_identity: xclent}\n",
                 "t.yaml:5:63: backends.b.client_identity: expected one of auto, xclient, xforward, none, got \"xclent\"");
}

TEST(ConfigDecode, MaildirMailboxBounds) {
    const std::string head = listeners + "domains: {example.org: b}\nbackends:\n";
    const Parsed p = parse(head + "  b: {type: maildir, path: /m, mailboxes: [Alice, \"bob@Example.org\"],"
                                  " create_mailboxes: false, max_new_mailboxes_per_message: 3}\n");
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    const Backend& b = p.config->backends.at("b");
    EXPECT_EQ(b.mailboxes, (std::vector<std::string>{"alice", "bob@example.org"}));
    EXPECT_FALSE(b.create_mailboxes);
    EXPECT_EQ(b.max_new_mailboxes_per_message, 3u);
    const Parsed defaults = parse(head + "  b: {type: maildir, path: /m}\n");
    ASSERT_NE(defaults.config, nullptr);
    EXPECT_TRUE(defaults.config->backends.at("b").mailboxes.empty());
    EXPECT_TRUE(defaults.config->backends.at("b").create_mailboxes);
    EXPECT_EQ(defaults.config->backends.at("b").max_new_mailboxes_per_message, 10u);

    expect_error(head + "  b: {type: maildir, path: /m, mailboxes: [\"../x\"]}\n",
                 "t.yaml:5:44: backends.b.mailboxes[0]: expected a local part like \"alice\" or an address like "
                 "\"alice@example.org\", got \"../x\"");
    expect_error(head + "  b: {type: maildir, path: /m, max_new_mailboxes_per_message: 0}\n",
                 "t.yaml:5:63: backends.b.max_new_mailboxes_per_message: expected a whole number from 1 to 100000, "
                 "got \"0\"");
    expect_error(head + "  b: {type: smtp, servers: [\"127.0.0.1:25\"], create_mailboxes: false}\n",
                 "t.yaml:5:46: key 'create_mailboxes' does not apply to a smtp backend (backends.b)");
}

TEST(ConfigErrors, AllErrorsAreCollectedInFileOrder) {
    const Parsed p = parse(minimal + "limits: {max_errors: 0, max_recipients: x}\ntimeouts: {data: 5}\nbogus: 1\n");
    ASSERT_EQ(p.errors.size(), 4u);
    EXPECT_EQ(p.errors[0].rfind("t.yaml:7:22: limits.max_errors", 0), 0u) << p.errors[0];
    EXPECT_EQ(p.errors[1].rfind("t.yaml:7:41: limits.max_recipients", 0), 0u) << p.errors[1];
    EXPECT_EQ(p.errors[2].rfind("t.yaml:8:18: timeouts.data", 0), 0u) << p.errors[2];
    EXPECT_EQ(p.errors[3], "t.yaml:9:1: unknown key 'bogus' at the top level");
}

TEST(ConfigErrors, YamlSyntaxErrorBecomesADiagnostic) {
    expect_error("listeners:\n  - {address: \"127.0.0.1:25\"\ndomains: {}\n",
                 "t.yaml:3:1: YAML syntax error: end of map flow not found");
    expect_error("limits:\n  max_errors: 1\n    max_recipients: 2\n", "t.yaml:3:19: YAML syntax error: illegal map value");
}

TEST(ConfigErrors, NotAMapAndEmptyFile) {
    expect_error("", "t.yaml: the file is empty; expected a map with listeners, domains and backends");
    expect_error("- a\n", "t.yaml:1:1: the top level: expected a map, got a list");
    expect_error(minimal + "limits: 5\n", "t.yaml:7:9: limits: expected a map, got \"5\"");
}

TEST(ConfigErrors, DiagnosticsAreAppended) {
    Diagnostics diagnostics{Diagnostic{"other", 1, 1, "earlier"}};
    EXPECT_EQ(parse_config("bogus: 1\n" + minimal, "t.yaml", diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 2u);
    EXPECT_EQ(diagnostics[0].message, "earlier");
}

TEST(ConfigErrors, DiagnosticFormat) {
    EXPECT_EQ((Diagnostic{"a.yaml", 12, 7, "m"}).str(), "a.yaml:12:7: m");
    EXPECT_EQ((Diagnostic{"a.yaml", 12, 0, "m"}).str(), "a.yaml:12: m");
    EXPECT_EQ((Diagnostic{"a.yaml", 0, 0, "m"}).str(), "a.yaml: m");
}

// ---- TLS files --------------------------------------------------------------

TEST_F(ConfigTls, TlsListenerNeedsCertificateAndKey) {
    expect_error("listeners:\n  - {address: \"127.0.0.1:25\", tls: starttls}\n" + routes,
                 "t.yaml:2:36: listeners[0].tls: starttls needs tls.certificate and tls.private_key");
}

TEST_F(ConfigTls, MissingCertificateFile) {
    const std::string yaml = "listeners:\n  - {address: \"127.0.0.1:25\", tls: implicit}\n" + routes +
                             "tls: {certificate: ../var/tls/nope.pem, private_key: ../var/tls/key.pem}\n";
    Diagnostics diagnostics;
    EXPECT_EQ(parse_config(yaml, source(), diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].line, 7);
    EXPECT_EQ(diagnostics[0].column, 20);
    EXPECT_EQ(diagnostics[0].message, "tls.certificate: cannot read \"../var/tls/nope.pem\": No such file or directory");
}

TEST_F(ConfigTls, KeyThatDoesNotMatchTheCertificate) {
    const std::string yaml = "listeners:\n  - {address: \"127.0.0.1:25\", tls: starttls}\n" + routes +
                             "tls: {certificate: ../var/tls/cert.pem, private_key: ../var/tls/other-key.pem}\n";
    Diagnostics diagnostics;
    EXPECT_EQ(parse_config(yaml, source(), diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].line, 7);
    EXPECT_EQ(diagnostics[0].column, 54);
    EXPECT_EQ(diagnostics[0].message.rfind("tls.private_key: \"../var/tls/other-key.pem\": ", 0), 0u)
        << diagnostics[0].message;
}

TEST_F(ConfigTls, CertificateThatIsNotPem) {
    const std::string yaml = "listeners:\n  - {address: \"127.0.0.1:25\", tls: starttls}\n" + routes +
                             "tls: {certificate: mxgate.yaml, private_key: ../var/tls/key.pem}\n";
    dir_->write("conf/mxgate.yaml", "not a certificate\n");
    Diagnostics diagnostics;
    EXPECT_EQ(parse_config(yaml, source(), diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].message.rfind("tls.certificate: \"mxgate.yaml\": not a PEM certificate chain", 0), 0u)
        << diagnostics[0].message;
}

TEST_F(ConfigTls, BadCipherListAndCaFile) {
    const std::string yaml = listeners + "domains: {example.org: b}\nbackends:\n"
                             "  b: {type: smtp, servers: [\"127.0.0.1:25\"], ca_file: ../var/tls/none.pem}\n"
                             "tls: {ciphers: NOT-A-CIPHER}\n";
    Diagnostics diagnostics;
    EXPECT_EQ(parse_config(yaml, source(), diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 2u);
    EXPECT_EQ(diagnostics[0].str(), source() + ":5:55: backends.b.ca_file: cannot read \"../var/tls/none.pem\": "
                                                "No such file or directory");
    EXPECT_EQ(diagnostics[1].str(), source() + ":6:16: tls.ciphers: OpenSSL accepts none of the ciphers in "
                                                "\"NOT-A-CIPHER\"");
}

TEST_F(ConfigTls, LoadConfigReadsTheFileAndResolvesPathsNextToIt) {
    dir_->write("conf/full.yaml", full_config);
    Diagnostics diagnostics;
    const auto config = load_config(dir_->file("conf/full.yaml"), diagnostics);
    ASSERT_NE(config, nullptr) << (diagnostics.empty() ? "" : diagnostics.front().str());
    EXPECT_EQ(config->source, dir_->file("conf/full.yaml"));
    EXPECT_EQ(config->tls.certificate, dir_->file("var/tls/cert.pem"));
}

TEST(ConfigLoad, UnreadableFileIsADiagnosticWithoutALine) {
    Diagnostics diagnostics;
    EXPECT_EQ(load_config("/nonexistent/mxgate.yaml", diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].str(), "/nonexistent/mxgate.yaml: cannot read the config file: No such file or directory");
}

// ---- round trip ---------------------------------------------------------------

TEST_F(ConfigTls, DumpParsesBackToTheSameConfig) {
    const Parsed first = parse(full_config, source());
    ASSERT_NE(first.config, nullptr) << (first.errors.empty() ? "" : first.errors.front());
    const std::string dumped = dump_config(*first.config);
    // Paths in the dump are absolute, so the dump parses the same from anywhere.
    const Parsed second = parse(dumped, source());
    ASSERT_NE(second.config, nullptr) << (second.errors.empty() ? "" : second.errors.front()) << "\n" << dumped;
    EXPECT_EQ(*second.config, *first.config);
    EXPECT_EQ(dump_config(*second.config), dumped);
    EXPECT_NE(dumped.find("max_message_size: 50MiB\n"), std::string::npos) << dumped;
    EXPECT_NE(dumped.find("command: 5m\n"), std::string::npos) << dumped;
    EXPECT_NE(dumped.find("\"*\": store\n"), std::string::npos) << dumped;
}

TEST(ConfigDump, RoundTripOfUnusualValues) {
    const std::string yaml =
        "server: {hostname: mx.example.org, banner: \"null\", user: mail, group: mail}\n" + listeners +
        "limits: {max_message_size: 1000001B, max_text_line_length: 0, connection_limit_ipv4_prefix: 24,"
        " connection_limit_ipv6_prefix: 48}\n"
        "timeouts: {command: 1500ms, data: 90s, shutdown: 2h}\n"
        "trusted_networks: [\"192.0.2.7\", \"::ffff:10.0.0.0/104\", \"::/0\"]\n"
        "xclient_networks: [\"10.1.2.0/24\", \"2001:db8::/32\"]\n"
        "domains: {example.org: b}\nbackends:\n"
        "  b: {type: lmtp, servers: [\"[::1]:24\"], tls: opportunistic, tls_server_name: lmtp.example.org,"
        " client_identity: none, helo_name: gw.example.org, max_idle_connections: 3, allow_untrusted_routing: true,"
        " mixed_outcome_memory: 36h}\n";
    const Parsed first = parse(yaml);
    ASSERT_NE(first.config, nullptr) << (first.errors.empty() ? "" : first.errors.front());
    EXPECT_EQ(first.config->server.banner, "null");
    const std::string dumped = dump_config(*first.config);
    const Parsed second = parse(dumped);
    ASSERT_NE(second.config, nullptr) << (second.errors.empty() ? "" : second.errors.front()) << "\n" << dumped;
    EXPECT_EQ(*second.config, *first.config) << dumped;
    ASSERT_EQ(second.config->xclient_networks.size(), 2u);
    EXPECT_EQ(second.config->xclient_networks[1].prefix_length, 32u);
    EXPECT_TRUE(second.config->backends.at("b").allow_untrusted_routing);
    EXPECT_EQ(second.config->backends.at("b").mixed_outcome_memory, std::chrono::hours(36));
    EXPECT_EQ(second.config->limits.connection_limit_ipv6_prefix, 48u);
}

// ---- values -------------------------------------------------------------------

TEST(ConfigValues, Durations) {
    EXPECT_EQ(parse_duration("300ms"), Duration{300});
    EXPECT_EQ(parse_duration("30s"), Duration{30'000});
    EXPECT_EQ(parse_duration("5m"), Duration{300'000});
    EXPECT_EQ(parse_duration("1h"), Duration{3'600'000});
    EXPECT_EQ(parse_duration("0s"), Duration{0});
    for (const char* bad : {"", "30", "s", "-1s", "1.5s", "30sec", "5 min", "1d", "30S", "1h30m", "99999999999999999999s"})
        EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
}

TEST(ConfigValues, ByteSizes) {
    EXPECT_EQ(parse_byte_size("1000")->bytes, 1000u);
    EXPECT_EQ(parse_byte_size("1000B")->bytes, 1000u);
    EXPECT_EQ(parse_byte_size("64KiB")->bytes, 64u * 1024);
    EXPECT_EQ(parse_byte_size("10MiB")->bytes, 10u * 1024 * 1024);
    EXPECT_EQ(parse_byte_size("1GiB")->bytes, 1ull << 30);
    EXPECT_EQ(parse_byte_size("2kB")->bytes, 2000u);
    EXPECT_EQ(parse_byte_size("3MB")->bytes, 3'000'000u);
    EXPECT_EQ(parse_byte_size("4GB")->bytes, 4'000'000'000u);
    EXPECT_EQ(parse_byte_size("50 MiB")->bytes, 50u << 20);
    for (const char* bad : {"", "MiB", "10mb", "10KB", "1.5MiB", "-1", "10 ", "99999999999GiB"})
        EXPECT_EQ(parse_byte_size(bad), std::nullopt) << bad;
}

TEST(ConfigValues, Endpoints) {
    auto e = parse_endpoint("127.0.0.1:25");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "127.0.0.1");
    EXPECT_EQ(e->port, 25);
    e = parse_endpoint("[::1]:2525");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "::1");
    EXPECT_EQ(e->str(), "[::1]:2525");
    e = parse_endpoint("mail.example.org:65535");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->str(), "mail.example.org:65535");
    EXPECT_EQ(parse_endpoint("0.0.0.0:0")->port, 0);
    for (const char* bad : {"", ":25", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x", "::1:25", "[::1]25",
                            "[::1]", "[nope]:25", "1.2.3:25", "bad_host:25", "[fe80::1%eth0]:25", "127.0.0.1:-1"})
        EXPECT_EQ(parse_endpoint(bad), std::nullopt) << bad;
}

TEST(ConfigValues, Networks) {
    auto n = parse_network("10.0.0.0/8");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->prefix_length, 8u);
    EXPECT_EQ(parse_network("192.0.2.7")->prefix_length, 32u);
    EXPECT_EQ(parse_network("2001:db8::1")->prefix_length, 128u);
    EXPECT_EQ(parse_network("::/0")->prefix_length, 0u);
    for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.1/8", "10/8", "x", "10.0.0.0/8/8",
                            "2001:db8::1/32"})
        EXPECT_EQ(parse_network(bad), std::nullopt) << bad;
}

bool contains(const char* network, const char* address) {
    auto n = parse_network(network);
    if (!n) throw std::runtime_error(std::string("bad network in test: ") + network);
    return n->contains(ip::make_address(address));
}

TEST(ConfigValues, NetworkContainsIpv4) {
    EXPECT_TRUE(contains("10.0.0.0/8", "10.255.1.2"));
    EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.1"));
    EXPECT_TRUE(contains("192.0.2.128/25", "192.0.2.200"));
    EXPECT_FALSE(contains("192.0.2.128/25", "192.0.2.127"));
    EXPECT_TRUE(contains("192.0.2.7", "192.0.2.7"));
    EXPECT_FALSE(contains("192.0.2.7", "192.0.2.8"));
    EXPECT_TRUE(contains("0.0.0.0/0", "203.0.113.9"));
    EXPECT_TRUE(contains("172.16.0.0/12", "172.31.255.255"));
    EXPECT_FALSE(contains("172.16.0.0/12", "172.32.0.0"));
}

TEST(ConfigValues, NetworkContainsIpv6) {
    EXPECT_TRUE(contains("::1/128", "::1"));
    EXPECT_FALSE(contains("::1/128", "::2"));
    EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::1"));
    EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::1"));
    EXPECT_TRUE(contains("2001:db8::/33", "2001:db8:7fff::1"));
    EXPECT_FALSE(contains("2001:db8::/33", "2001:db8:8000::1"));
    EXPECT_FALSE(contains("::1/128", "127.0.0.1"));
    EXPECT_FALSE(contains("127.0.0.0/8", "::1"));
}

TEST(ConfigValues, NetworkContainsV4MappedAddresses) {
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
    EXPECT_TRUE(contains("127.0.0.0/8", "::ffff:127.0.0.1"));
    EXPECT_TRUE(contains("192.0.2.0/24", "::ffff:192.0.2.44"));
    EXPECT_FALSE(contains("192.0.2.0/24", "::ffff:192.0.3.1"));
    EXPECT_TRUE(contains("0.0.0.0/0", "::ffff:8.8.8.8"));
    // Networks written in mapped form match plain IPv4 clients too.
    EXPECT_TRUE(contains("::ffff:10.0.0.0/104", "10.1.2.3"));
    EXPECT_TRUE(contains("::ffff:10.0.0.0/104", "::ffff:10.1.2.3"));
    EXPECT_FALSE(contains("::ffff:10.0.0.0/104", "11.1.2.3"));
    EXPECT_TRUE(contains("::/0", "10.1.2.3"));
    EXPECT_FALSE(contains("2001:db8::/32", "10.1.2.3"));
}

}  // namespace
}  // namespace mxgate::config
