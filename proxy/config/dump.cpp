// dump_config: the effective configuration as YAML, every key with its value and
// unit ("30s", "50MiB"), paths absolute. parse_config() reads it back to an equal
// Config, which the unit tests check. Free text is double-quoted so that values
// like "null" or "yes" stay strings.
#include <cstdio>

#include <yaml-cpp/yaml.h>

#include "proxy/config/decode.hpp"
#include "proxy/config/sections.hpp"

namespace mxgate::config {

namespace {

const char* name_of(filters::state::Backend v) {
    switch (v) {
        case filters::state::Backend::sqlite: return "sqlite";
        case filters::state::Backend::redis: return "redis";
    }
    return "sqlite";
}

using settings::Writer;

const char* name_of(filters::dnsbl::ListType v) {
    switch (v) {
        case filters::dnsbl::ListType::ip: return "ip";
        case filters::dnsbl::ListType::helo: return "helo";
        case filters::dnsbl::ListType::sender_domain: return "sender_domain";
        case filters::dnsbl::ListType::rdns: return "rdns";
    }
    return "ip";
}

void dump_spf(Writer& w, const filters::SpfSettings& spf) {
    const filters::spf::SpfConfig& c = spf.config;
    w.begin("spf");
    w.flag("enabled", spf.enabled);
    w.duration("timeout", c.timeout);
    w.number("threads", c.threads);
    w.text("receiver", c.receiver);
    w.flag("skip_trusted", c.skip_trusted);
    w.number("max_dns_mechanisms", static_cast<std::uint64_t>(c.max_dns_mechanisms));
    w.number("max_dns_mx", static_cast<std::uint64_t>(c.max_dns_mx));
    w.number("max_dns_ptr", static_cast<std::uint64_t>(c.max_dns_ptr));
    w.number("max_void_lookups", static_cast<std::uint64_t>(c.max_void_lookups));
    w.number("max_queries", static_cast<std::uint64_t>(c.max_queries));
    w.plain("on_pass", std::string(filters::spf::to_string(c.on_pass.kind)));
    w.plain("on_fail", std::string(filters::spf::to_string(c.on_fail.kind)));
    w.plain("on_softfail", std::string(filters::spf::to_string(c.on_softfail.kind)));
    w.plain("on_neutral", std::string(filters::spf::to_string(c.on_neutral.kind)));
    w.plain("on_none", std::string(filters::spf::to_string(c.on_none.kind)));
    w.plain("on_temperror", std::string(filters::spf::to_string(c.on_temperror.kind)));
    w.plain("on_permerror", std::string(filters::spf::to_string(c.on_permerror.kind)));
    w.end();
}

void dump_dnsbl(Writer& w, YAML::Emitter& out, const filters::DnsblSettings& dnsbl) {
    const filters::dnsbl::DnsblConfig& c = dnsbl.config;
    w.begin("dnsbl");
    w.flag("enabled", dnsbl.enabled);
    w.flag("skip_trusted", c.skip_trusted);
    w.plain("reject_score", std::to_string(c.reject_score));
    out << YAML::Key << "lists" << YAML::Value;
    if (c.lists.empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& list : c.lists) {
        out << YAML::Flow << YAML::BeginMap;
        w.text("name", list.name);
        w.text("zone", list.zone);
        w.plain("type", name_of(list.type));
        w.flag("allow", list.allow);
        w.texts("codes", list.codes);
        char mask[16];
        std::snprintf(mask, sizeof mask, "0x%08x", static_cast<unsigned>(list.bitmask));
        w.plain("bitmask", mask);
        w.plain("weight", std::to_string(list.weight));
        w.duration("timeout", list.timeout);
        w.flag("ipv6", list.ipv6);
        w.flag("fetch_reason", list.fetch_reason);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    w.begin("fcrdns");
    w.flag("enabled", c.fcrdns.enabled);
    w.duration("timeout", c.fcrdns.timeout);
    w.number("max_names", c.fcrdns.max_names);
    w.end();
    w.end();
}

}  // namespace

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

    const filters::dns::DnsConfig& d = c.dns;
    w.begin("dns");
    w.texts("servers", d.servers);
    w.text("resolv_conf", d.resolv_conf);
    out << YAML::Key << "stub_zones" << YAML::Value;
    if (d.stub_zones.empty()) out << YAML::Flow;  // "stub_zones: []" on one line
    out << YAML::BeginSeq;
    for (const auto& zone : d.stub_zones) {
        out << YAML::Flow << YAML::BeginMap;
        w.text("zone", zone.zone);
        w.texts("servers", zone.servers);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    w.texts("transparent_local_zones", d.transparent_local_zones);
    w.duration("timeout", d.timeout);
    w.flag("dnssec", d.dnssec);
    w.text("dnssec_trust_anchor_file", d.dnssec_trust_anchor_file);
    w.size("cache_size", ByteSize{d.cache_size});
    w.duration("max_cache_ttl", d.max_cache_ttl);
    w.duration("max_negative_cache_ttl", d.max_negative_cache_ttl);
    w.end();

    const filters::state::StateConfig& s = c.state;
    w.begin("state");
    w.plain("backend", name_of(s.backend));
    w.text("key_prefix", s.key_prefix);
    w.begin("sqlite");
    w.text("path", s.sqlite.path);
    w.duration("busy_timeout", s.sqlite.busy_timeout);
    w.end();
    w.begin("redis");
    w.text("host", s.redis.host);
    w.number("port", s.redis.port);
    w.number("db", static_cast<std::uint64_t>(s.redis.db));
    w.secret("password", s.redis.password);
    w.duration("timeout", s.redis.timeout);
    w.duration("reconnect_interval", s.redis.reconnect_interval);
    w.end();
    w.end();

    w.begin("filters");
    w.duration("stage_timeout", c.filters.stage_timeout);
    const filters::greylist::GreylistConfig& g = c.filters.greylist.config;
    w.begin("greylist");
    w.flag("enabled", c.filters.greylist.enabled);
    w.number("ipv4_prefix", g.ipv4_prefix);
    w.number("ipv6_prefix", g.ipv6_prefix);
    w.duration("delay", g.delay);
    w.duration("window", g.window);
    w.duration("pass_lifetime", g.pass_lifetime);
    w.number("auto_allow_after", g.auto_allow_after);
    std::vector<std::string> networks;
    for (const auto& n : g.allow_networks) networks.push_back(n.address.to_string() + "/" + std::to_string(n.prefix_length));
    w.texts("allow_networks", networks);
    w.texts("allow_sender_domains", g.allow_sender_domains);
    w.texts("allow_recipient_domains", g.allow_recipient_domains);
    w.flag("skip_spf_pass", g.skip_spf_pass);
    w.flag("fail_open", g.fail_open);
    w.end();
    const filters::greylist::RateLimitConfig& rl = c.filters.rate_limit.config;
    w.begin("rate_limit");
    w.flag("enabled", c.filters.rate_limit.enabled);
    w.number("max_connections_per_window", rl.max_connections_per_window);
    w.number("max_messages_per_window", rl.max_messages_per_window);
    w.duration("window", rl.window);
    w.number("ipv4_prefix", rl.ipv4_prefix);
    w.number("ipv6_prefix", rl.ipv6_prefix);
    w.flag("fail_open", rl.fail_open);
    w.end();
    settings::dump_section(w, "helo", c.filters.helo);
    dump_spf(w, c.filters.spf);
    dump_dnsbl(w, out, c.filters.dnsbl);
    w.end();

    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace mxgate::config
