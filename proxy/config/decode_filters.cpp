// Decoders for the filter-related sections: dns: (the shared resolver), state:
// (the store of greylisting and rate limits) and filters: (which filters run).
// The structs are the filters' own (filters/dns, filters/state, filters/settings.hpp);
// this file only maps YAML onto them, with the same located errors, range checks
// and unknown-key hints as decode_sections.cpp. check_filters() runs after all
// sections are decoded: files that must exist for the enabled features.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

#include <boost/asio/ip/address.hpp>

#include "proxy/config/decode_support.hpp"
#include "proxy/core/settings/describe.hpp"

namespace mxgate::config::detail {

namespace {

using Seconds = std::chrono::seconds;

constexpr std::string_view dns_server_syntax =
    "an IP address or \"address@port\" with a port from 1 to 65535 like \"127.0.0.1@5353\"";

// "addr" or "addr@port" as libunbound's ub_ctx_set_fwd / ub_ctx_set_stub take them.
bool is_dns_server(const std::string& text) {
    const auto at = text.rfind('@');
    const std::string address = text.substr(0, at);
    if (address.empty() || address.find('%') != std::string::npos) return false;  // no scope ids
    boost::system::error_code ec;
    boost::asio::ip::make_address(address, ec);
    if (ec) return false;
    if (at == std::string::npos) return true;
    const std::string port = text.substr(at + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
            return c >= '0' && c <= '9';
        }))
        return false;
    const auto number = std::stoul(port);
    return number >= 1 && number <= 65535;
}

std::vector<std::string> decode_dns_servers(MapReader& m, Reporter& reporter) {
    std::vector<std::string> servers;
    for_each_item(m, "servers", "servers like \"127.0.0.1@5353\"", reporter,
                  [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
                      if (item.IsScalar() && is_dns_server(item.Scalar())) {
                          servers.push_back(item.Scalar());
                          return;
                      }
                      reporter.error(mark, path + ": expected " + std::string(dns_server_syntax) + ", got " +
                                               describe(item));
                  });
    return servers;
}

std::vector<filters::dns::DnsConfig::StubZone> decode_stub_zones(MapReader& parent, Reporter& reporter) {
    std::vector<filters::dns::DnsConfig::StubZone> zones;
    for_each_item(parent, "stub_zones", "{zone: ..., servers: [...]}", reporter,
                  [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
                      if (!item.IsMap()) {
                          reporter.error(mark, path + ": expected a map like {zone: bl.example, servers: "
                                                      "[\"127.0.0.1@5300\"]}, got " + describe(item));
                          return;
                      }
                      MapReader m(item, path, reporter, {"zone", "servers"});
                      filters::dns::DnsConfig::StubZone zone;
                      if (m.require("zone")) {
                          const auto errors_before = reporter.error_count();
                          zone.zone = settings::lower(m.string("zone", ""));
                          if (reporter.error_count() == errors_before && !settings::is_domain(zone.zone, false, true)) {
                              m.expected("zone", "a DNS zone like \"bl.example\"");
                              zone.zone.clear();
                          }
                          for (const auto& other : zones)
                              if (!zone.zone.empty() && other.zone == zone.zone)
                                  reporter.error(reporter.mark(m.field_path("zone")),
                                                 m.field_path("zone") + ": zone '" + zone.zone +
                                                     "' is listed twice in dns.stub_zones");
                      }
                      if (m.require("servers")) {
                          zone.servers = decode_dns_servers(m, reporter);
                          const YAML::Node servers = m.get("servers");
                          if (servers.IsNull() || (servers.IsSequence() && servers.size() == 0))
                              reporter.error(reporter.mark(m.field_path("servers")),
                                             m.field_path("servers") +
                                                 ": expected at least one server like \"127.0.0.1@5300\", got " +
                                                 (servers.IsNull() ? "nothing" : "an empty list"));
                      }
                      zones.push_back(std::move(zone));
                  });
    return zones;
}

}  // namespace

filters::dns::DnsConfig decode_dns(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "dns", reporter,
                {"servers", "resolv_conf", "stub_zones", "transparent_local_zones", "timeout", "dnssec", "dnssec_trust_anchor_file", "cache_size",
                 "max_cache_ttl", "max_negative_cache_ttl"});
    filters::dns::DnsConfig d;
    if (!m.is_map()) return d;
    d.servers = decode_dns_servers(m, reporter);
    d.resolv_conf = m.file_path("resolv_conf", d.resolv_conf);
    if (d.resolv_conf.empty()) {
        m.expected("resolv_conf", "a file path");
        d.resolv_conf = filters::dns::DnsConfig{}.resolv_conf;
    }
    d.stub_zones = decode_stub_zones(m, reporter);
    settings::domains().decode(m, "transparent_local_zones", d.transparent_local_zones);
    d.timeout = m.duration("timeout", 1ms, 5min, d.timeout);
    d.dnssec = m.boolean("dnssec", d.dnssec);
    d.dnssec_trust_anchor_file = m.file_path("dnssec_trust_anchor_file", d.dnssec_trust_anchor_file);
    if (d.dnssec_trust_anchor_file.empty()) {
        m.expected("dnssec_trust_anchor_file", "a file path");
        d.dnssec_trust_anchor_file = filters::dns::DnsConfig{}.dnssec_trust_anchor_file;
    }
    d.cache_size = static_cast<std::size_t>(
        m.byte_size("cache_size", ByteSize{64ull << 10}, ByteSize{4ull << 30}, ByteSize{d.cache_size}).bytes);
    // 0s is allowed: unbound then keeps nothing (a cap, not a lifetime).
    d.max_cache_ttl = m.seconds("max_cache_ttl", 0s, 168h, d.max_cache_ttl);
    d.max_negative_cache_ttl = m.seconds("max_negative_cache_ttl", 0s, 168h, d.max_negative_cache_ttl);
    return d;
}

filters::state::StateConfig decode_state(const YAML::Node& node, Reporter& reporter) {
    using filters::state::Backend;
    MapReader m(node, "state", reporter, {"backend", "key_prefix", "sqlite", "redis"});
    filters::state::StateConfig s;
    if (!m.is_map()) return s;
    s.backend = m.choice<Backend>("backend", {{"sqlite", Backend::sqlite}, {"redis", Backend::redis}}, s.backend);
    s.key_prefix = m.string("key_prefix", s.key_prefix);
    if (s.key_prefix.size() > 64) {
        m.expected("key_prefix", "at most 64 characters");
        s.key_prefix = filters::state::StateConfig{}.key_prefix;
    }

    MapReader sqlite(m.get("sqlite"), "state.sqlite", reporter, {"path", "busy_timeout"});
    if (sqlite.is_map()) {
        // May be empty when no filter needs the store; check_filters() checks it otherwise.
        s.sqlite.path = sqlite.file_path("path", s.sqlite.path);
        s.sqlite.busy_timeout = sqlite.duration("busy_timeout", 1ms, 5min, s.sqlite.busy_timeout);
    }

    MapReader redis(m.get("redis"), "state.redis", reporter,
                    {"host", "port", "db", "password", "timeout", "reconnect_interval"});
    if (redis.is_map()) {
        if (redis.has("host")) {
            const std::string host = redis.string("host", "");
            boost::system::error_code ec;
            boost::asio::ip::make_address(host, ec);
            if ((!ec && host.find('%') == std::string::npos) || is_dns_name(host)) s.redis.host = host;
            else redis.expected("host", "an IP address or a host name like \"redis.example.org\"");
        }
        s.redis.port = static_cast<std::uint16_t>(redis.number("port", 1, 65535, s.redis.port));
        // Redis has 16 databases by default (`databases` in redis.conf); the server refuses a bad SELECT.
        s.redis.db = static_cast<int>(redis.number("db", 0, 65535, static_cast<std::uint64_t>(s.redis.db)));
        s.redis.password = redis.secret("password", s.redis.password);
        s.redis.timeout = redis.duration("timeout", 1ms, 5min, s.redis.timeout);
        s.redis.reconnect_interval = redis.duration("reconnect_interval", 0ms, 1h, s.redis.reconnect_interval);
    }
    return s;
}

void check_filters(const Config& c, Reporter& r) {
    if (c.dns.dnssec) {
        // libunbound reads the trust anchor only at the first query: check it now.
        const std::string field = "dns.dnssec_trust_anchor_file";
        const std::string& path = c.dns.dnssec_trust_anchor_file;
        if (auto reason = check_readable(path); !reason.empty()) {
            const std::string written = r.written(field).empty() ? path : r.written(field);
            r.error(r.first_mark({field, "dns.dnssec"}),
                    field + ": cannot read \"" + escaped(written) + "\": " + reason + " (needed by dns.dnssec: true)");
        }
    }

    if (!c.filters.need_state() || c.state.backend != filters::state::Backend::sqlite) return;
    const std::string user = c.filters.state_user();
    const std::string field = "state.sqlite.path";
    const YAML::Mark mark = r.first_mark({field, "state.sqlite", "state.backend", user + ".enabled"});
    const std::string& path = c.state.sqlite.path;
    if (path.empty()) {
        r.error(mark, field + ": expected the path of the SQLite file (" + user + " needs the state store), got \"\"");
        return;
    }
    const std::string shown = "\"" + escaped(r.written(field).empty() ? path : r.written(field)) + "\"";
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        r.error(mark, field + ": " + shown + " is a directory; expected the path of the SQLite file");
        return;
    }
    const fs::path directory = fs::path(path).parent_path();
    if (!fs::is_directory(directory, ec))
        r.error(mark, field + ": the directory of " + shown + " does not exist (" + user +
                          " needs the state store; mxgate creates the file, not the directory)");
}

}  // namespace mxgate::config::detail
