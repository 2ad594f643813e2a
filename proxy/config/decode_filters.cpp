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

unsigned prefix(MapReader& m, std::string_view key, unsigned min, unsigned max, unsigned fallback) {
    return static_cast<unsigned>(m.number(key, min, max, fallback));
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

namespace {

filters::SpfSettings decode_spf(const YAML::Node& node, Reporter& reporter) {
    using Kind = filters::spf::SpfAction::Kind;
    MapReader m(node, "filters.spf", reporter,
                {"enabled", "timeout", "threads", "receiver", "skip_trusted", "max_dns_mechanisms", "max_dns_mx",
                 "max_dns_ptr", "max_void_lookups", "max_queries", "on_pass", "on_fail", "on_softfail", "on_neutral",
                 "on_none", "on_temperror", "on_permerror"});
    filters::SpfSettings spf;
    if (!m.is_map()) return spf;
    auto& c = spf.config;
    spf.enabled = m.boolean("enabled", spf.enabled);
    c.timeout = m.duration("timeout", 100ms, 5min, c.timeout);
    c.threads = static_cast<std::size_t>(m.number("threads", 1, 64, c.threads));
    c.receiver = m.hostname("receiver", c.receiver);
    c.skip_trusted = m.boolean("skip_trusted", c.skip_trusted);
    // RFC 7208 §4.6.4 fixes 10 and 2; raising them only helps broken records.
    c.max_dns_mechanisms = static_cast<int>(m.number("max_dns_mechanisms", 1, 100, c.max_dns_mechanisms));
    c.max_dns_mx = static_cast<int>(m.number("max_dns_mx", 1, 100, c.max_dns_mx));
    c.max_dns_ptr = static_cast<int>(m.number("max_dns_ptr", 1, 100, c.max_dns_ptr));
    c.max_void_lookups = static_cast<int>(m.number("max_void_lookups", 0, 100, c.max_void_lookups));
    c.max_queries = static_cast<int>(m.number("max_queries", 1, 1000, c.max_queries));
    const std::initializer_list<std::pair<std::string_view, Kind>> kinds = {
        {"proceed", Kind::proceed}, {"tempfail", Kind::tempfail}, {"reject", Kind::reject}};
    struct Slot {
        std::string_view key;
        filters::spf::SpfAction& action;
        bool validation_error;  // temperror/permerror: X.7.24 instead of X.7.23
    };
    for (const Slot& slot : {Slot{"on_pass", c.on_pass, false}, Slot{"on_fail", c.on_fail, false},
                             Slot{"on_softfail", c.on_softfail, false}, Slot{"on_neutral", c.on_neutral, false},
                             Slot{"on_none", c.on_none, false}, Slot{"on_temperror", c.on_temperror, true},
                             Slot{"on_permerror", c.on_permerror, true}}) {
        if (!m.has(slot.key)) continue;
        slot.action = filters::spf::spf_action(m.choice<Kind>(slot.key, kinds, slot.action.kind), slot.validation_error);
    }
    return spf;
}

// A whole number in [min, max], negative allowed ("weight: -5").
int signed_number(MapReader& m, std::string_view key, int min, int max, int fallback) {
    if (!m.has(key)) return fallback;
    const std::string text = m.string(key, std::to_string(fallback));
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
        m.expected(key, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
        return fallback;
    }
    return value;
}

// "0x04", "4" or "0b100"-free: a decimal or 0x-hex 32-bit mask.
std::uint32_t bitmask(MapReader& m, std::string_view key, std::uint32_t fallback) {
    if (!m.has(key)) return fallback;
    const std::string text = m.string(key, "");
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const char* begin = text.data() + (hex ? 2 : 0);
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value, hex ? 16 : 10);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        m.expected(key, "a 32-bit mask like 0x04 or 4");
        return fallback;
    }
    return value;
}

filters::dnsbl::DnsList decode_dns_list(const YAML::Node& item, const std::string& path, Reporter& reporter) {
    using filters::dnsbl::ListType;
    MapReader m(item, path, reporter,
                {"name", "zone", "type", "allow", "codes", "bitmask", "weight", "timeout", "ipv6", "fetch_reason"});
    filters::dnsbl::DnsList list;
    if (m.require("name")) list.name = m.string("name", "");
    if (m.require("zone")) list.zone = settings::lower(m.string("zone", ""));
    list.type = m.choice<ListType>("type",
                                   {{"ip", ListType::ip}, {"helo", ListType::helo},
                                    {"sender_domain", ListType::sender_domain}, {"rdns", ListType::rdns}},
                                   list.type);
    list.allow = m.boolean("allow", list.allow);
    for_each_item(m, "codes", "addresses like \"127.0.0.2\"", reporter,
                  [&](const YAML::Node& code, const YAML::Mark& mark, const std::string& code_path) {
                      if (code.IsScalar()) list.codes.push_back(code.Scalar());
                      else reporter.error(mark, code_path + ": expected an address like \"127.0.0.2\", got " +
                                                    describe(code));
                  });
    list.bitmask = bitmask(m, "bitmask", list.bitmask);
    list.weight = signed_number(m, "weight", -1000, 1000, list.weight);
    list.timeout = m.duration("timeout", 10ms, 5min, list.timeout);
    list.ipv6 = m.boolean("ipv6", list.ipv6);
    list.fetch_reason = m.boolean("fetch_reason", list.fetch_reason);
    return list;
}

filters::DnsblSettings decode_dnsbl(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "filters.dnsbl", reporter, {"enabled", "lists", "fcrdns", "skip_trusted", "reject_score"});
    filters::DnsblSettings dnsbl;
    if (!m.is_map()) return dnsbl;
    auto& c = dnsbl.config;
    dnsbl.enabled = m.boolean("enabled", dnsbl.enabled);
    c.skip_trusted = m.boolean("skip_trusted", c.skip_trusted);
    c.reject_score = signed_number(m, "reject_score", 0, 100000, c.reject_score);
    const auto errors_before = reporter.error_count();
    for_each_item(m, "lists", "DNS lists like {name: zen, zone: zen.spamhaus.org}", reporter,
                  [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
                      if (!item.IsMap()) {
                          reporter.error(mark, path + ": expected a map like {name: zen, zone: zen.spamhaus.org}, got " +
                                                   describe(item));
                          return;
                      }
                      c.lists.push_back(decode_dns_list(item, path, reporter));
                  });
    MapReader f(m.get("fcrdns"), "filters.dnsbl.fcrdns", reporter, {"enabled", "timeout", "max_names"});
    if (f.is_map()) {
        c.fcrdns.enabled = f.boolean("enabled", c.fcrdns.enabled);
        c.fcrdns.timeout = f.duration("timeout", 10ms, 5min, c.fcrdns.timeout);
        c.fcrdns.max_names = static_cast<std::size_t>(f.number("max_names", 1, 100, c.fcrdns.max_names));
    }
    // The filter's own rules (names, zones, codes), once the values read cleanly.
    if (reporter.error_count() != errors_before) return dnsbl;
    for (const std::string& problem : filters::dnsbl::validate(c)) {
        const std::string key = problem.substr(0, problem.find(": "));
        YAML::Mark mark = reporter.mark(key);
        // The nearest ancestor with a mark: "a.lists[0].codes" -> "a.lists[0]" -> "a.lists" -> "a".
        for (std::string parent = key; mark.is_null();) {
            const auto cut = parent.find_last_of(".[");
            if (cut == std::string::npos || cut == 0) break;
            parent.resize(cut);
            mark = reporter.mark(parent);
        }
        reporter.error(mark.is_null() ? m.node().Mark() : mark, problem);
    }
    return dnsbl;
}

}  // namespace

filters::FilterSettings decode_filters(const YAML::Node& node, Reporter& reporter) {
    MapReader m(node, "filters", reporter, {"stage_timeout", "greylist", "rate_limit", "helo", "spf", "dnsbl"});
    filters::FilterSettings f;
    if (!m.is_map()) return f;
    f.stage_timeout = m.duration("stage_timeout", 100ms, 1h, f.stage_timeout);

    MapReader g(m.get("greylist"), "filters.greylist", reporter,
                {"enabled", "ipv4_prefix", "ipv6_prefix", "delay", "window", "pass_lifetime", "auto_allow_after",
                 "allow_networks", "allow_sender_domains", "allow_recipient_domains", "skip_spf_pass", "fail_open"});
    if (g.is_map()) {
        auto& c = f.greylist.config;
        f.greylist.enabled = g.boolean("enabled", f.greylist.enabled);
        c.ipv4_prefix = prefix(g, "ipv4_prefix", 8, 32, c.ipv4_prefix);
        c.ipv6_prefix = prefix(g, "ipv6_prefix", 16, 128, c.ipv6_prefix);
        const auto errors_before = reporter.error_count();
        c.delay = g.seconds("delay", 0s, 24h, c.delay);
        c.window = g.seconds("window", 1s, 720h, c.window);
        // Only compare two values that were read without an error.
        if (reporter.error_count() == errors_before && c.delay >= c.window) {
            const std::string at = g.has("delay") ? "filters.greylist.delay" : "filters.greylist.window";
            reporter.error(reporter.mark(at), at + ": delay (" + format_duration(c.delay) +
                                                  ") must be less than window (" + format_duration(c.window) + ")");
        }
        c.pass_lifetime = g.seconds("pass_lifetime", 1s, 8760h, c.pass_lifetime);
        c.auto_allow_after = static_cast<unsigned>(g.number("auto_allow_after", 0, 1000000, c.auto_allow_after));
        if (g.has("allow_networks") && !g.get("allow_networks").IsNull()) {
            for (const Network& n : decode_network_list(g.get("allow_networks"), "filters.greylist.allow_networks",
                                                        reporter))
                c.allow_networks.push_back(filters::greylist::Cidr{n.address, n.prefix_length});
        }
        settings::domains().decode(g, "allow_sender_domains", c.allow_sender_domains);
        settings::domains().decode(g, "allow_recipient_domains", c.allow_recipient_domains);
        c.skip_spf_pass = g.boolean("skip_spf_pass", c.skip_spf_pass);
        c.fail_open = g.boolean("fail_open", c.fail_open);
    }

    MapReader r(m.get("rate_limit"), "filters.rate_limit", reporter,
                {"enabled", "max_connections_per_window", "max_messages_per_window", "window", "ipv4_prefix",
                 "ipv6_prefix", "fail_open"});
    if (r.is_map()) {
        auto& c = f.rate_limit.config;
        f.rate_limit.enabled = r.boolean("enabled", f.rate_limit.enabled);
        c.max_connections_per_window =
            r.number("max_connections_per_window", 0, 1'000'000'000, c.max_connections_per_window);
        c.max_messages_per_window = r.number("max_messages_per_window", 0, 1'000'000'000, c.max_messages_per_window);
        c.window = r.seconds("window", 1s, 24h, c.window);
        c.ipv4_prefix = prefix(r, "ipv4_prefix", 8, 32, c.ipv4_prefix);
        c.ipv6_prefix = prefix(r, "ipv6_prefix", 16, 128, c.ipv6_prefix);
        c.fail_open = r.boolean("fail_open", c.fail_open);
    }
    f.helo = settings::decode_section<filters::helo::HeloConfig>(m.get("helo"), "filters.helo", reporter);
    f.spf = decode_spf(m.get("spf"), reporter);
    f.dnsbl = decode_dnsbl(m.get("dnsbl"), reporter);
    return f;
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
    const std::string user = c.filters.greylist.enabled ? "filters.greylist" : "filters.rate_limit";
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
