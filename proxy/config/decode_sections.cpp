// The decoders of the proxy's sections that are not one described map: the
// listeners list, domains and the backends map (server, tls, limits, timeouts,
// logging and each backend's keys are derived from their description, sections.hpp). Checks that span sections
// (TLS files for listeners, domain -> backend references) are in decode.cpp.
// Every problem is reported through the Reporter; a bad field keeps its default.
#include <algorithm>

#include <boost/describe/enum_to_string.hpp>

#include "proxy/config/sections.hpp"
#include "proxy/core/text.hpp"
#include "proxy/quarantine/quarantine_store.hpp"
#include "proxy/session/spool.hpp"

namespace mxgate::config::detail {

std::vector<Listener> decode_listeners(const YAML::Node& node, Reporter& reporter) {
    std::vector<Listener> listeners;
    if (!expect_list(node, "listeners", "listeners", reporter)) return listeners;
    if (node.size() == 0) {
        reporter.error(node, "listeners: expected at least one listener, got an empty list");
        return listeners;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        const std::string path = element_path("listeners", i);
        MapReader m(node[i], path, reporter, settings::key_names<Listener>());
        if (!m.is_map()) continue;
        Listener listener;
        settings::decode_into(m, listener);
        listeners.push_back(std::move(listener));
    }
    return listeners;
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
        const std::string domain = core::ascii_lower(key.Scalar());
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

void ServerListCodec::decode(MapReader& m, std::string_view key, std::vector<Endpoint>& value) const {
    Reporter& reporter = m.reporter();
    const YAML::Node servers = m.get(key);
    const std::string servers_path = m.field_path(key);
    if (!expect_list(servers, servers_path, "servers \"host:port\"", reporter)) return;
    if (servers.size() == 0)
        reporter.error(servers, servers_path + ": expected at least one server \"host:port\", got an empty list");
    for (std::size_t i = 0; i < servers.size(); ++i) {
        const YAML::Node& item = servers[i];
        auto endpoint = item.IsScalar() ? parse_endpoint(item.Scalar()) : std::nullopt;
        if (!endpoint || endpoint->port == 0) {
            reporter.error(item.IsNull() ? servers.Mark() : item.Mark(),
                           element_path(servers_path, i) +
                               ": expected \"host:port\" or \"[IPv6]:port\" with a port from 1 to 65535, got " +
                               describe(item));
            continue;
        }
        value.push_back(*endpoint);
    }
}

void MailboxListCodec::decode(MapReader& m, std::string_view key, std::vector<std::string>& value) const {
    if (!m.has(key)) return;
    Reporter& reporter = m.reporter();
    const YAML::Node node = m.get(key);
    const std::string path = m.field_path(key);
    if (!expect_list(node, path, "mailboxes like \"alice\" or \"alice@example.org\"", reporter)) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node& item = node[i];
        // The Maildir store lower-cases both parts.
        std::string entry = core::ascii_lower(item.IsScalar() ? item.Scalar() : std::string());
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
        value.push_back(std::move(entry));
    }
}

namespace {

Backend decode_backend(const std::string& name, const YAML::Node& node, Reporter& reporter) {
    const std::string path = "backends." + name;
    std::vector<std::string> keys = settings::key_names<Backend>();
    keys.insert(keys.begin(), "type");
    MapReader m(node, path, reporter, std::move(keys));
    Backend b;
    b.name = name;
    if (!m.is_map()) return b;
    // Which keys apply depends on the type: without a valid one, checking them
    // would only add confusing follow-up errors.
    if (!m.require("type")) return b;
    const auto errors_before = reporter.error_count();
    settings::ChoiceCodec<BackendKind>{}.decode(m, "type", b.kind);
    if (reporter.error_count() != errors_before) return b;
    const auto takes = [&](std::string_view key) { return backend_takes(b.kind, key); };
    for (const auto& key : settings::key_names<Backend>())
        if (!takes(key) && m.has(key))
            reporter.error(reporter.key_mark(m.field_path(key)), "key '" + key + "' does not apply to a " +
                                                                     boost::describe::enum_to_string(b.kind, "") +
                                                                     " backend (" + path + ")");
    settings::decode_fields_if(m, b, takes);
    if (b.tls_verify && b.tls == BackendTls::none)
        reporter.error(reporter.mark(path + ".tls_verify"),
                       path + ".tls_verify: needs tls: opportunistic or required (tls is none)");
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

}  // namespace mxgate::config::detail

namespace mxgate::config {

void settings_check(Spool& spool, const settings::Section& section) {
    if (!section.clean("directory")) return;
    if (const std::string problem = session::spool_directory_problem(spool.directory); !problem.empty())
        section.reporter().error(section.reporter().mark(section.path("directory")),
                                 "spool.directory: " + problem);
}

}  // namespace mxgate::config

namespace mxgate::config {

void RetentionCodec::decode(settings::MapReader& m, std::string_view key, Duration& value) const {
    if (!m.has(key)) return;
    const YAML::Node node = m.get(key);
    const std::string text = node.IsScalar() ? node.Scalar() : std::string();
    constexpr std::uint64_t max_days = 100 * 366;
    if (text.size() > 1 && text.back() == 'd') {
        const std::string days = text.substr(0, text.size() - 1);
        if (days.size() <= 5 && std::all_of(days.begin(), days.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            std::stoull(days) >= 1 && std::stoull(days) <= max_days) {
            value = std::chrono::hours(24 * std::stoull(days));
            return;
        }
        m.expected(key, "a retention from 1m to " + std::to_string(max_days) + "d (\"30d\", \"12h\")");
        return;
    }
    value = m.duration(key, std::chrono::minutes(1), std::chrono::hours(24 * max_days), value);
}

void RetentionCodec::dump(settings::Writer& w, const char* key, Duration value) const {
    constexpr auto day = std::chrono::duration_cast<Duration>(std::chrono::hours(24));
    if (value.count() > 0 && value.count() % day.count() == 0)
        w.plain(key, std::to_string(value.count() / day.count()) + "d");
    else
        w.duration(key, value);
}

void settings_check(Quarantine& quarantine, const settings::Section& section) {
    auto& r = section.reporter();
    if (quarantine.store == QuarantineStore::maildir && section.clean("directory")) {
        if (quarantine.directory.empty())
            r.error(r.first_mark({section.path("store"), section.map().path()}),
                    "quarantine.directory: store: maildir needs a directory");
        else if (const std::string problem = quarantine::directory_problem(quarantine.directory); !problem.empty())
            r.error(r.mark(section.path("directory")), "quarantine.directory: \"" +
                                                           detail::escaped(r.written(section.path("directory"))) +
                                                           "\": " + problem);
    }
    if (quarantine.store == QuarantineStore::backend && quarantine.backend.empty())
        r.error(r.first_mark({section.path("store"), section.map().path()}),
                "quarantine.backend: store: backend needs a backend name");
}

}  // namespace mxgate::config
