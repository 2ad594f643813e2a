// One decoder per config section: field names, ranges and per-section rules sit
// here next to each other (Envoy validate.rules style). Checks that span sections
// (TLS files for listeners, domain -> backend references) are in decode.cpp.
// Every problem is reported through the Reporter; a bad field keeps its default.
#include <algorithm>
#include <cctype>

#include "proxy/config/decode_support.hpp"

namespace mxgate::config::detail {

namespace {

constexpr std::string_view endpoint_any_port = "\"host:port\" or \"[IPv6]:port\" with a port from 0 to 65535";
constexpr std::string_view endpoint_real_port = "\"host:port\" or \"[IPv6]:port\" with a port from 1 to 65535";

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

Server decode_server(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "server", reporter, {"hostname", "banner", "authserv_id", "workers", "user", "group", "allow_root"});
    Server s;
    s.hostname = m.hostname("hostname", s.hostname);
    s.banner = m.string("banner", s.banner);
    s.authserv_id = m.hostname("authserv_id", s.authserv_id);
    // RFC 5321 §4.5.3.1.5: the whole 220 reply line must stay within 512 octets.
    if (s.banner.size() > 200) {
        m.expected("banner", "at most 200 characters");
        s.banner = Server{}.banner;
    }
    s.workers = static_cast<unsigned>(m.number("workers", 0, 256, s.workers));
    for (const auto key : {"user", "group"}) {
        std::string value = m.string(key, "");
        const bool valid = std::all_of(value.begin(), value.end(), is_name_char) && value.size() <= 32;
        if (!valid) {
            m.expected(key, "a user or group name (letters, digits, '_', '-', '.')");
            value.clear();
        }
        (std::string_view(key) == "user" ? s.user : s.group) = value;
    }
    s.allow_root = m.boolean("allow_root", s.allow_root);
    if (s.user.empty() && !s.group.empty())
        reporter.error(reporter.mark("server.group"), "server.group: needs server.user");
    return s;
}

std::vector<Listener> decode_listeners(const YAML::Node& node, Reporter& reporter) {
    std::vector<Listener> listeners;
    if (!expect_list(node, "listeners", "listeners", reporter)) return listeners;
    if (node.size() == 0) {
        reporter.error(node, "listeners: expected at least one listener, got an empty list");
        return listeners;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        const std::string path = element_path("listeners", i);
        MapReader m(node[i], path, reporter, {"address", "tls", "proxy_protocol"});
        if (!m.is_map()) continue;
        Listener listener;
        if (m.require("address")) {
            const auto text = m.string("address", "");
            if (auto endpoint = parse_endpoint(text)) listener.address = *endpoint;
            else m.expected("address", endpoint_any_port);
        }
        listener.tls = m.choice<ListenerTls>(
            "tls", {{"none", ListenerTls::none}, {"starttls", ListenerTls::starttls},
                    {"implicit", ListenerTls::implicit}},
            listener.tls);
        if (m.boolean("proxy_protocol", false)) m.expected("proxy_protocol", "false (the PROXY protocol is not supported yet)");
        listeners.push_back(std::move(listener));
    }
    return listeners;
}

Tls decode_tls(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "tls", reporter, {"certificate", "private_key", "min_version", "ciphers"});
    Tls t;
    t.certificate = m.file_path("certificate", t.certificate);
    t.private_key = m.file_path("private_key", t.private_key);
    t.min_version = m.choice("min_version", {"TLSv1.2", "TLSv1.3"}, t.min_version);
    t.ciphers = m.string("ciphers", t.ciphers);
    if (!t.ciphers.empty()) {
        if (auto problem = check_ciphers(t.ciphers); !problem.empty()) {
            reporter.error(reporter.mark("tls.ciphers"), "tls.ciphers: " + problem);
            t.ciphers.clear();
        }
    }
    return t;
}

Limits decode_limits(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "limits", reporter,
                {"max_command_line_length", "max_text_line_length", "max_recipients", "recipient_overshoot_limit",
                 "max_message_size", "max_errors", "max_junk_commands", "max_connections", "max_connections_per_ip",
                 "connection_limit_ipv4_prefix", "connection_limit_ipv6_prefix", "max_transactions_per_session"});
    Limits l;
    // RFC 5321 §4.5.3.1.4: a command line of 512 octets must be accepted.
    l.max_command_line_length = m.number("max_command_line_length", 512, 65536, l.max_command_line_length);
    // RFC 5321 §4.5.3.1.6: text lines of 1000 octets must pass; 0 turns the check off.
    const auto text_line = m.number("max_text_line_length", 0, 1048576, l.max_text_line_length);
    if (text_line != 0 && text_line < 1000) m.expected("max_text_line_length", "0 (off) or a whole number from 1000 to 1048576");
    else l.max_text_line_length = text_line;
    // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; fewer is allowed but unusual.
    l.max_recipients = m.number("max_recipients", 1, 100000, l.max_recipients);
    l.recipient_overshoot_limit = m.number("recipient_overshoot_limit", 0, 100000, l.recipient_overshoot_limit);
    l.max_message_size = m.byte_size("max_message_size", ByteSize{1024}, ByteSize{4ull << 30}, l.max_message_size);
    l.max_errors = static_cast<unsigned>(m.number("max_errors", 1, 1000, l.max_errors));
    l.max_junk_commands = static_cast<unsigned>(m.number("max_junk_commands", 1, 100000, l.max_junk_commands));
    l.max_connections = static_cast<unsigned>(m.number("max_connections", 1, 1000000, l.max_connections));
    l.max_connections_per_ip =
        static_cast<unsigned>(m.number("max_connections_per_ip", 1, 1000000, l.max_connections_per_ip));
    // The filters' ipv4_prefix/ipv6_prefix ranges: a shorter prefix would lump whole providers together.
    l.connection_limit_ipv4_prefix =
        static_cast<unsigned>(m.number("connection_limit_ipv4_prefix", 8, 32, l.connection_limit_ipv4_prefix));
    l.connection_limit_ipv6_prefix =
        static_cast<unsigned>(m.number("connection_limit_ipv6_prefix", 16, 128, l.connection_limit_ipv6_prefix));
    l.max_transactions_per_session =
        static_cast<unsigned>(m.number("max_transactions_per_session", 1, 1000000, l.max_transactions_per_session));
    return l;
}

Timeouts decode_timeouts(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "timeouts", reporter,
                {"command", "data", "tls_handshake", "shutdown", "backend_connect", "backend_reply", "backend_data_done",
                 "backend_idle"});
    Timeouts t;
    constexpr Duration min = 1ms;
    constexpr Duration max = 24h;
    t.command = m.duration("command", min, max, t.command);
    t.data = m.duration("data", min, max, t.data);
    t.tls_handshake = m.duration("tls_handshake", min, max, t.tls_handshake);
    t.shutdown = m.duration("shutdown", min, max, t.shutdown);
    t.backend_connect = m.duration("backend_connect", min, max, t.backend_connect);
    t.backend_reply = m.duration("backend_reply", min, max, t.backend_reply);
    t.backend_data_done = m.duration("backend_data_done", min, max, t.backend_data_done);
    t.backend_idle = m.duration("backend_idle", min, max, t.backend_idle);
    return t;
}

std::vector<Network> decode_trusted_networks(const YAML::Node& node, Reporter& reporter) {
    if (!node.IsDefined() || node.IsNull()) return {};
    return decode_network_list(node, "trusted_networks", reporter);
}

std::vector<Network> decode_xclient_networks(const YAML::Node& node, Reporter& reporter) {
    if (!node.IsDefined() || node.IsNull()) return {};
    return decode_network_list(node, "xclient_networks", reporter);
}

std::map<std::string, std::string> decode_domains(const YAML::Node& node, Reporter& reporter) {
    std::map<std::string, std::string> domains;
    if (!node.IsMap()) {
        reporter.error(node.IsNull() ? reporter.key_mark("domains") : node.Mark(),
                       "domains: expected a map of domain: backend, got " + describe(node));
        return domains;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;  // a copy: the iterator hands out temporaries
        const YAML::Node value = it->second;
        if (!key.IsScalar()) {
            reporter.error(key, "domains: expected a domain name as key, got " + describe(key));
            continue;
        }
        // RFC 5321 §2.4: domain names are case-insensitive.
        const std::string domain = lower(key.Scalar());
        const std::string path = "domains." + domain;
        const bool valid = domain == "*" || is_dns_name(domain) ||
                           (domain.size() > 1 && domain.front() == '.' && is_dns_name(domain.substr(1)));
        if (!valid) {
            reporter.error(key, "domains: expected a domain name, \".suffix\" or \"*\", got " + describe(key));
            continue;
        }
        if (domains.count(domain) != 0) {
            reporter.error(key, "domains: duplicate domain '" + domain + "' (first on line " +
                                    std::to_string(reporter.key_mark(path).line + 1) + ")");
            continue;
        }
        reporter.remember(path, key.Mark(), value.IsNull() ? key.Mark() : value.Mark());
        if (!value.IsScalar() || value.Scalar().empty()) {
            reporter.error(value.IsNull() ? key.Mark() : value.Mark(),
                           path + ": expected the name of a backend, got " + describe(value));
            continue;
        }
        domains.emplace(domain, value.Scalar());
    }
    if (domains.empty() && node.size() == 0)
        reporter.error(node, "domains: expected at least one domain, got an empty map");
    return domains;
}

namespace {

// "alice" or "alice@example.org", lower-cased (the Maildir store lower-cases both parts).
std::vector<std::string> decode_mailboxes(const YAML::Node& node, const std::string& path, Reporter& reporter) {
    std::vector<std::string> mailboxes;
    if (!expect_list(node, path, "mailboxes like \"alice\" or \"alice@example.org\"", reporter)) return mailboxes;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node& item = node[i];
        std::string entry = item.IsScalar() ? item.Scalar() : std::string();
        for (char& c : entry) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto at = entry.find('@');
        const std::string local = entry.substr(0, at);
        const bool local_ok = !local.empty() && local.front() != '.' && local.size() <= 64 &&
                              std::all_of(local.begin(), local.end(), [](char c) {
                                  const auto u = static_cast<unsigned char>(c);
                                  return u > 0x20 && u != 0x7f && c != '/' && c != '@';
                              });
        if (!local_ok || (at != std::string::npos && !is_dns_name(entry.substr(at + 1)))) {
            reporter.error(item.IsNull() ? node.Mark() : item.Mark(),
                           element_path(path, i) + ": expected a local part like \"alice\" or an address like "
                                                   "\"alice@example.org\", got " + describe(item));
            continue;
        }
        mailboxes.push_back(std::move(entry));
    }
    return mailboxes;
}

Backend decode_backend(const std::string& name, const YAML::Node& node, Reporter& reporter) {
    const std::string path = "backends." + name;
    MapReader m(node, path, reporter,
                {"type", "servers", "path", "mailboxes", "create_mailboxes", "max_new_mailboxes_per_message", "tls",
                 "tls_verify", "ca_file", "tls_server_name", "client_identity", "helo_name", "max_idle_connections",
                 "max_connections", "allow_untrusted_routing"});
    Backend b;
    b.name = name;
    if (!m.is_map()) return b;
    // Which keys apply depends on the type: without a valid one, checking them
    // would only add confusing follow-up errors.
    if (!m.require("type")) return b;
    const auto errors_before = reporter.error_count();
    b.kind = m.choice<BackendKind>(
        "type", {{"smtp", BackendKind::smtp}, {"lmtp", BackendKind::lmtp}, {"maildir", BackendKind::maildir}}, b.kind);
    if (reporter.error_count() != errors_before) return b;
    b.allow_untrusted_routing = m.boolean("allow_untrusted_routing", b.allow_untrusted_routing);
    const bool is_maildir = b.kind == BackendKind::maildir;
    // Keys that belong to the other kind are mistakes, not silently ignored settings.
    const auto kind_name = is_maildir ? "maildir" : b.kind == BackendKind::smtp ? "smtp" : "lmtp";
    const std::initializer_list<std::string_view> maildir_keys{"path", "mailboxes", "create_mailboxes",
                                                                "max_new_mailboxes_per_message"};
    for (const auto key : {"servers", "path", "mailboxes", "create_mailboxes", "max_new_mailboxes_per_message", "tls",
                           "tls_verify", "ca_file", "tls_server_name", "client_identity", "helo_name",
                           "max_idle_connections", "max_connections"}) {
        const bool for_maildir = std::find(maildir_keys.begin(), maildir_keys.end(), key) != maildir_keys.end();
        const bool applies = for_maildir == is_maildir;
        if (!applies && m.has(key))
            reporter.error(reporter.key_mark(m.field_path(key)),
                           "key '" + std::string(key) + "' does not apply to a " + kind_name + " backend (" + path + ")");
    }
    if (is_maildir) {
        if (m.require("path")) {
            b.path = m.file_path("path", "");
            if (b.path.empty()) m.expected("path", "a directory");
        }
        if (m.has("mailboxes")) b.mailboxes = decode_mailboxes(m.get("mailboxes"), path + ".mailboxes", reporter);
        b.create_mailboxes = m.boolean("create_mailboxes", b.create_mailboxes);
        b.max_new_mailboxes_per_message = static_cast<unsigned>(
            m.number("max_new_mailboxes_per_message", 1, 100000, b.max_new_mailboxes_per_message));
        return b;
    }

    if (m.require("servers")) {
        const YAML::Node servers = m.get("servers");
        const std::string servers_path = path + ".servers";
        if (expect_list(servers, servers_path, "servers \"host:port\"", reporter)) {
            if (servers.size() == 0)
                reporter.error(servers, servers_path + ": expected at least one server \"host:port\", got an empty list");
            for (std::size_t i = 0; i < servers.size(); ++i) {
                const YAML::Node& item = servers[i];
                auto endpoint = item.IsScalar() ? parse_endpoint(item.Scalar()) : std::nullopt;
                if (!endpoint || endpoint->port == 0) {
                    reporter.error(item.IsNull() ? servers.Mark() : item.Mark(),
                                   element_path(servers_path, i) + ": expected " + std::string(endpoint_real_port) +
                                       ", got " + describe(item));
                    continue;
                }
                b.servers.push_back(*endpoint);
            }
        }
    }
    b.tls = m.choice<BackendTls>(
        "tls",
        {{"none", BackendTls::none}, {"opportunistic", BackendTls::opportunistic}, {"required", BackendTls::required}},
        b.tls);
    b.tls_verify = m.boolean("tls_verify", b.tls_verify);
    if (b.tls_verify && b.tls == BackendTls::none)
        reporter.error(reporter.mark(path + ".tls_verify"),
                       path + ".tls_verify: needs tls: opportunistic or required (tls is none)");
    b.ca_file = m.file_path("ca_file", b.ca_file);
    b.tls_server_name = m.hostname("tls_server_name", b.tls_server_name);
    b.client_identity = m.choice<ClientIdentity>("client_identity",
                                                 {{"auto", ClientIdentity::auto_},
                                                  {"xclient", ClientIdentity::xclient},
                                                  {"xforward", ClientIdentity::xforward},
                                                  {"none", ClientIdentity::none}},
                                                 b.client_identity);
    b.helo_name = m.hostname("helo_name", b.helo_name);
    b.max_idle_connections = static_cast<unsigned>(m.number("max_idle_connections", 0, 1024, b.max_idle_connections));
    b.max_connections = static_cast<unsigned>(m.number("max_connections", 1, 100000, b.max_connections));
    return b;
}

}  // namespace

std::map<std::string, Backend> decode_backends(const YAML::Node& node, Reporter& reporter) {
    std::map<std::string, Backend> backends;
    if (!node.IsMap()) {
        reporter.error(node.IsNull() ? reporter.key_mark("backends") : node.Mark(),
                       "backends: expected a map of name: {type: ...}, got " + describe(node));
        return backends;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;  // a copy: the iterator hands out temporaries
        if (!key.IsScalar() || key.Scalar().empty() || key.Scalar().size() > 64 ||
            !std::all_of(key.Scalar().begin(), key.Scalar().end(), is_name_char)) {
            reporter.error(key, "backends: expected a backend name (letters, digits, '_', '-', '.'), got " +
                                    describe(key));
            continue;
        }
        const std::string& name = key.Scalar();
        const std::string path = "backends." + name;
        if (backends.count(name) != 0) {
            reporter.error(key, "backends: duplicate backend '" + name + "' (first on line " +
                                    std::to_string(reporter.key_mark(path).line + 1) + ")");
            continue;
        }
        const YAML::Node value = it->second;
        reporter.remember(path, key.Mark(), value.IsNull() ? key.Mark() : value.Mark());
        if (!value.IsMap()) {
            reporter.error(value.IsNull() ? key.Mark() : value.Mark(),
                           path + ": expected a map like {type: smtp, servers: [...]}, got " + describe(value));
            backends.emplace(name, Backend{.name = name});  // keep the name known for the domain checks
            continue;
        }
        backends.emplace(name, decode_backend(name, value, reporter));
    }
    if (node.size() == 0) reporter.error(node, "backends: expected at least one backend, got an empty map");
    return backends;
}

Logging decode_logging(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "logging", reporter, {"level", "format"});
    Logging l;
    l.level = m.choice("level", {"trace", "debug", "info", "warn", "error"}, l.level);
    l.format = m.choice("format", {"text", "json"}, l.format);
    return l;
}

}  // namespace mxgate::config::detail
