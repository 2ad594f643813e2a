// The proxy's described sections (sections.hpp): the keys the decoder accepts are
// exactly the keys the dump writes, in description order, and a value that is
// not the default survives dump -> parse.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/config/decode.hpp"
#include "proxy/config/sections.hpp"
#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate::config::test {
namespace {

std::vector<std::string> dumped_keys(const YAML::Node& section) {
    std::vector<std::string> keys;
    for (auto it = section.begin(); it != section.end(); ++it) keys.push_back(it->first.Scalar());
    return keys;
}

TEST(ConfigSections, DumpWritesEveryDescribedKeyInOrder) {
    const Parsed p = parse(minimal);
    ASSERT_NE(p.config, nullptr);
    const YAML::Node dumped = YAML::Load(dump_config(*p.config));
    EXPECT_EQ(dumped_keys(dumped["server"]), settings::key_names<Server>());
    EXPECT_EQ(dumped_keys(dumped["listeners"][0]), settings::key_names<Listener>());
    EXPECT_EQ(dumped_keys(dumped["tls"]), settings::key_names<Tls>());
    EXPECT_EQ(dumped_keys(dumped["limits"]), settings::key_names<Limits>());
    EXPECT_EQ(dumped_keys(dumped["timeouts"]), settings::key_names<Timeouts>());
    EXPECT_EQ(dumped_keys(dumped["logging"]), settings::key_names<Logging>());
    // A backend shows its type and then only the keys of that type.
    EXPECT_EQ(dumped_keys(dumped["backends"]["local"]),
              (std::vector<std::string>{"type", "allow_untrusted_routing", "path", "mailboxes", "create_mailboxes",
                                        "max_new_mailboxes_per_message"}));
}

TEST(ConfigSections, NonDefaultValuesSurviveTheDump) {
    const std::string yaml =
        "server: {banner: hello, authserv_id: ar.example.org, workers: 3, user: mail, allow_root: true}\n"
        "listeners:\n  - {address: \"[::1]:0\", tls: none, proxy_protocol: false}\n"
        "tls: {min_version: TLSv1.3, ciphers: HIGH}\n"
        "limits: {max_recipients: 7, recipient_overshoot_limit: 0, max_errors: 2, max_junk_commands: 3,"
        " max_connections: 4, max_connections_per_ip: 5, max_transactions_per_session: 6,"
        " max_command_line_length: 512}\n"
        "timeouts: {tls_handshake: 1ms, backend_connect: 2s, backend_reply: 3m, backend_data_done: 4h,"
        " backend_idle: 5s}\n"
        "logging: {level: trace, format: json}\n" +
        routes;
    const Parsed first = parse(yaml);
    ASSERT_NE(first.config, nullptr) << (first.errors.empty() ? "" : first.errors.front());
    EXPECT_EQ(first.config->listeners.front().address.host, "::1");
    EXPECT_EQ(first.config->logging.format, "json");
    const std::string dumped = dump_config(*first.config);
    const Parsed second = parse(dumped);
    ASSERT_NE(second.config, nullptr) << (second.errors.empty() ? "" : second.errors.front()) << "\n" << dumped;
    EXPECT_EQ(*second.config, *first.config) << dumped;
}

}  // namespace
}  // namespace mxgate::config::test
