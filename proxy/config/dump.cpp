// dump_config: the effective configuration as YAML, every key with its value and
// unit ("30s", "50MiB"), paths absolute. parse_config() reads it back to an equal
// Config, which the unit tests check. Free text is double-quoted so that values
// like "null" or "yes" stay strings.
#include <yaml-cpp/yaml.h>

#include "filters/dns/dns_settings.hpp"
#include "filters/state/state_settings.hpp"
#include "proxy/config/decode.hpp"
#include "proxy/config/sections.hpp"

namespace mxgate::config {

using settings::Writer;

std::string dump_config(const Config& c) {
    YAML::Emitter out;
    Writer w(out);
    if (!c.source.empty()) out << YAML::Comment("effective configuration from " + c.source);
    out << YAML::BeginMap;

    settings::dump_section(w, "server", c.server);
    w.begin_list("listeners", c.listeners.empty());
    for (const auto& listener : c.listeners) {
        w.begin_item();
        settings::dump_members(w, listener);
        w.end_item();
    }
    w.end_list();
    settings::dump_section(w, "tls", c.tls);
    settings::dump_section(w, "limits", c.limits);
    settings::dump_section(w, "timeouts", c.timeouts);

    settings::networks().dump(w, "trusted_networks", c.trusted_networks);
    settings::networks().dump(w, "xclient_networks", c.xclient_networks);

    w.begin("domains");
    for (const auto& [domain, backend] : c.domains)
        out << YAML::Key << YAML::DoubleQuoted << domain << YAML::Value << backend;
    w.end();

    w.begin("backends");
    for (const auto& [name, b] : c.backends) {
        w.begin(name.c_str());
        settings::ChoiceCodec<BackendKind>{}.dump(w, "type", b.kind);
        settings::dump_members_if(w, b, [&](std::string_view key) { return detail::backend_takes(b.kind, key); });
        w.end();
    }
    w.end();

    settings::dump_section(w, "logging", c.logging);
    settings::dump_section(w, "spool", c.spool);
    settings::dump_section(w, "quarantine", c.quarantine);
    settings::dump_section(w, "policy", c.policy);
    settings::dump_section(w, "metrics", c.metrics);

    filters::dns::dump_dns_settings(w, c.dns);
    filters::state::dump_state_settings(w, c.state);
    filters::dump_filter_settings(w, c.filters);

    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace mxgate::config
