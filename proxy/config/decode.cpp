// load_config / parse_config: YAML text -> validated Config. Runs the section
// decoders (described sections: sections.hpp; the others: decode_sections.cpp), then the checks that span sections: TLS files
// for TLS listeners, domain -> backend references, unused backends, duplicate
// listener addresses, and compiles the policy file (check_policy.cpp), whose
// errors follow the config's own. All problems are collected, sorted by position, and
// returned as Diagnostics; the Config is returned only when there are none.
#include "proxy/config/decode.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "filters/dns/dns_settings.hpp"
#include "filters/state/state_settings.hpp"
#include "proxy/config/sections.hpp"
#include "proxy/core/settings/yaml_document.hpp"

namespace mxgate::config {

namespace {

using detail::Reporter;

std::string local_hostname() {
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

std::string directory_of(const std::string& file) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file.empty() ? std::string(".") : file, ec);
    if (ec) return ".";
    return file.empty() ? absolute.lexically_normal().string() : absolute.parent_path().lexically_normal().string();
}

// One file given in the config: set, readable, and (via `more`) well-formed.
template <class MoreChecks>
void check_file(const std::string& field, const std::string& path, Reporter& r, MoreChecks more) {
    if (path.empty()) return;
    const std::string shown = "\"" + detail::escaped(r.written(field).empty() ? path : r.written(field)) + "\"";
    if (auto reason = detail::check_readable(path); !reason.empty()) {
        r.error(r.mark(field), field + ": cannot read " + shown + ": " + reason);
        return;
    }
    if (auto reason = more(); !reason.empty()) r.error(r.mark(field), field + ": " + shown + ": " + reason);
}

void check_tls(const Config& c, Reporter& r) {
    const bool have_certificate = !c.tls.certificate.empty();
    const bool have_key = !c.tls.private_key.empty();
    for (std::size_t i = 0; i < c.listeners.size(); ++i) {
        const ListenerTls mode = c.listeners[i].tls;
        if (mode == ListenerTls::none || (have_certificate && have_key)) continue;
        const std::string field = "listeners[" + std::to_string(i) + "].tls";
        r.error(r.mark(field), field + ": " + (mode == ListenerTls::starttls ? "starttls" : "implicit") +
                                   " needs tls.certificate and tls.private_key");
    }
    if (have_certificate && !have_key)
        r.error(r.mark("tls.certificate"), "tls.certificate: needs tls.private_key too");
    if (have_key && !have_certificate)
        r.error(r.mark("tls.private_key"), "tls.private_key: needs tls.certificate too");

    const auto errors_before = r.error_count();
    check_file("tls.certificate", c.tls.certificate, r, [] { return std::string(); });
    check_file("tls.private_key", c.tls.private_key, r, [] { return std::string(); });
    if (have_certificate && have_key && r.error_count() == errors_before) {
        const auto problem = detail::check_certificate_and_key(c.tls.certificate, c.tls.private_key);
        if (!problem.field.empty()) {
            const std::string written = r.written(problem.field);
            r.error(r.mark(problem.field), problem.field + ": \"" + detail::escaped(written) + "\": " + problem.reason);
        }
    }
    for (const auto& [name, backend] : c.backends)
        check_file("backends." + name + ".ca_file", backend.ca_file, r,
                   [&] { return detail::check_ca_file(backend.ca_file); });
}

void check_listeners(const Config& c, Reporter& r) {
    for (std::size_t j = 0; j < c.listeners.size(); ++j) {
        const Endpoint& b = c.listeners[j].address;
        if (b.port == 0 || b.host.empty()) continue;  // port 0: each gets its own ephemeral port
        for (std::size_t i = 0; i < j; ++i) {
            const Endpoint& a = c.listeners[i].address;
            if (a.host != b.host || a.port != b.port) continue;
            const std::string field = "listeners[" + std::to_string(j) + "].address";
            r.error(r.mark(field), field + ": " + b.str() + " is already used by listeners[" + std::to_string(i) + "]");
            break;
        }
    }
}

void check_routes(const Config& c, Reporter& r) {
    std::vector<std::string> names;
    for (const auto& [name, backend] : c.backends) names.push_back(name);
    for (const auto& [domain, backend] : c.domains) {
        if (c.backends.count(backend) != 0) continue;
        std::string message = "domains." + domain + ": backend '" + detail::escaped(backend) +
                              "' is not defined in backends";
        if (auto suggestion = detail::closest(backend, names); !suggestion.empty())
            message += "; did you mean '" + suggestion + "'?";
        r.error(r.mark("domains." + domain), std::move(message));
    }
}

void check_quarantine_backend(const Config& c, Reporter& r) {
    if (c.quarantine.store != QuarantineStore::backend) return;
    if (const auto found = c.backends.find(c.quarantine.backend); found != c.backends.end()) {
        // LMTP answers per recipient after the dot; the quarantine sends all recipients in one transaction.
        if (found->second.kind == BackendKind::lmtp)
            r.error(r.first_mark({"quarantine.backend", "quarantine"}),
                    "quarantine.backend: '" + c.quarantine.backend + "' is an lmtp backend; use smtp or maildir");
        return;
    }
    std::vector<std::string> names;
    for (const auto& [name, backend] : c.backends) names.push_back(name);
    std::string message = "quarantine.backend: '" + detail::escaped(c.quarantine.backend) +
                          "' is not defined in backends";
    if (auto suggestion = detail::closest(c.quarantine.backend, names); !suggestion.empty())
        message += "; did you mean '" + suggestion + "'?";
    r.error(r.first_mark({"quarantine.backend", "quarantine.store", "quarantine"}), std::move(message));
}

Config decode_root(const YAML::Node& root, const std::string& source, Reporter& r) {
    Config c;
    c.source = source;
    if (!root.IsDefined() || root.IsNull()) {
        r.error(YAML::Mark::null_mark(), "the file is empty; expected a map with listeners, domains and backends");
        return c;
    }
    detail::MapReader m(root, "", r,
                        {"server", "listeners", "tls", "limits", "timeouts", "trusted_networks", "xclient_networks",
                         "domains", "backends", "logging", "spool", "quarantine", "policy", "metrics", "dns",
                         "state", "filters"});
    if (!m.is_map()) return c;
    c.server = settings::decode_section<Server>(m.get("server"), "server", r);
    if (m.require("listeners")) c.listeners = detail::decode_listeners(m.get("listeners"), r);
    c.tls = settings::decode_section<Tls>(m.get("tls"), "tls", r);
    c.limits = settings::decode_section<Limits>(m.get("limits"), "limits", r);
    c.timeouts = settings::decode_section<Timeouts>(m.get("timeouts"), "timeouts", r);
    settings::networks().decode(m, "trusted_networks", c.trusted_networks);
    settings::networks().decode(m, "xclient_networks", c.xclient_networks);
    if (m.require("domains")) c.domains = detail::decode_domains(m.get("domains"), r);
    if (m.require("backends")) c.backends = detail::decode_backends(m.get("backends"), r);
    c.logging = settings::decode_section<Logging>(m.get("logging"), "logging", r);
    c.spool = settings::decode_section<Spool>(m.get("spool"), "spool", r);
    c.quarantine = settings::decode_section<Quarantine>(m.get("quarantine"), "quarantine", r);
    c.policy = settings::decode_section<Policy>(m.get("policy"), "policy", r);
    c.metrics = settings::decode_section<Metrics>(m.get("metrics"), "metrics", r);
    c.dns = filters::dns::decode_dns_settings(m.get("dns"), r);
    c.state = filters::state::decode_state_settings(m.get("state"), r);
    c.filters = filters::decode_filter_settings(m.get("filters"), r);

    check_listeners(c, r);
    check_tls(c, r);
    check_routes(c, r);
    check_quarantine_backend(c, r);
    detail::check_filters(c, r);
    check_file("policy.file", c.policy.file, r, [] { return std::string(); });
    detail::compile_policy(c, r);
    return c;
}

}  // namespace

std::shared_ptr<const Config> parse_config(const std::string& yaml, const std::string& source,
                                           Diagnostics& diagnostics) {
    Diagnostics found;
    Reporter reporter(source, directory_of(source), found);
    Config config;
    try {
        // Not YAML::LoadAll: yaml-cpp 0.7's loops forever on a file starting with ",".
        const settings::YamlDocument document = settings::load_one_document(yaml);
        if (!document.second_document.is_null())
            reporter.error(document.second_document, "expected one YAML document, found more");
        config = decode_root(document.root, source, reporter);
    } catch (const YAML::Exception& e) {
        // ParserException and friends; their msg has no position, their mark does.
        reporter.error(e.mark, "YAML syntax error: " + e.msg);
    } catch (const std::exception& e) {
        reporter.error(YAML::Mark::null_mark(), std::string("cannot load the config: ") + e.what());
    }
    // The config's own by position, then those of the policy file in the compiler's order.
    const auto position = [&source](const Diagnostic& d) {
        return d.file == source ? std::tuple(0, d.line, d.column) : std::tuple(1, 0, 0);
    };
    std::stable_sort(found.begin(), found.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) { return position(a) < position(b); });
    if (!found.empty()) {
        diagnostics.insert(diagnostics.end(), found.begin(), found.end());
        return nullptr;
    }
    if (config.server.hostname.empty()) config.server.hostname = local_hostname();
    if (config.server.authserv_id.empty()) config.server.authserv_id = config.server.hostname;
    config.filters.apply_defaults(filters::FilterDefaults{config.server.hostname});
    return std::make_shared<const Config>(std::move(config));
}

std::shared_ptr<const Config> load_config(const std::string& path, Diagnostics& diagnostics) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        diagnostics.push_back(Diagnostic{path, 0, 0, "cannot read the config file: " + std::string(std::strerror(EISDIR))});
        return nullptr;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diagnostics.push_back(Diagnostic{path, 0, 0, "cannot read the config file: " + std::string(std::strerror(errno))});
        return nullptr;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        diagnostics.push_back(Diagnostic{path, 0, 0, "cannot read the config file: " + std::string(std::strerror(errno))});
        return nullptr;
    }
    return parse_config(text.str(), path, diagnostics);
}

}  // namespace mxgate::config
