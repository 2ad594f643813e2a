// dns: the rules of the fields the description in dns_config.hpp cannot infer:
// server syntax, stub zones (each zone once, at least one server), paths that
// must not be empty, and the cache's ranges.
#include "filters/dns/dns_settings.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "proxy/core/settings/describe.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::dns {

namespace {

using namespace std::chrono_literals;

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

struct ServersCodec {
    void decode(settings::MapReader& m, std::string_view key, std::vector<std::string>& value) const {
        settings::Reporter& reporter = m.reporter();
        std::vector<std::string> servers;
        settings::for_each_item(m, key, "servers like \"127.0.0.1@5353\"", reporter,
                                [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
                                    if (item.IsScalar() && is_dns_server(item.Scalar())) {
                                        servers.push_back(item.Scalar());
                                        return;
                                    }
                                    reporter.error(mark, path + ": expected " + std::string(dns_server_syntax) +
                                                             ", got " + settings::describe(item));
                                });
        value = std::move(servers);
    }
    void dump(settings::Writer& w, const char* key, const std::vector<std::string>& value) const {
        w.texts(key, value);
    }
};

// A file the resolver reads: a path, never "" (that would silently mean "none").
struct RequiredPathCodec {
    void decode(settings::MapReader& m, std::string_view key, std::string& value) const {
        const std::string fallback = value;
        value = m.file_path(key, value);
        if (!value.empty()) return;
        m.expected(key, "a file path");
        value = fallback;
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

struct ZoneCodec {  // "bl.example", also root-relative "bl.example."; kept in lower case
    void decode(settings::MapReader& m, std::string_view key, std::string& value) const {
        const auto errors_before = m.reporter().error_count();
        value = core::ascii_lower(m.string(key, ""));
        if (m.reporter().error_count() == errors_before && !settings::is_domain(value, false, true)) {
            m.expected(key, "a DNS zone like \"bl.example\"");
            value.clear();
        }
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

// Each zone once: a second entry for the same zone is reported at its own line.
struct StubZonesCodec {
    void decode(settings::MapReader& m, std::string_view key, std::vector<DnsConfig::StubZone>& value) const {
        settings::Reporter& reporter = m.reporter();
        std::vector<DnsConfig::StubZone> zones;
        settings::for_each_item(
            m, key, "{zone: ..., servers: [...]}", reporter,
            [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
                if (!item.IsMap()) {
                    reporter.error(mark, path + ": expected a map like {zone: bl.example, servers: "
                                                "[\"127.0.0.1@5300\"]}, got " + settings::describe(item));
                    return;
                }
                settings::MapReader element(item, path, reporter, settings::key_names<DnsConfig::StubZone>());
                DnsConfig::StubZone zone;
                settings::decode_into(element, zone);
                const std::string at = element.field_path("zone");
                for (const auto& other : zones)
                    if (!zone.zone.empty() && other.zone == zone.zone)
                        reporter.error(reporter.mark(at),
                                       at + ": zone '" + zone.zone + "' is listed twice in dns.stub_zones");
                zones.push_back(std::move(zone));
            });
        value = std::move(zones);
    }
    void dump(settings::Writer& w, const char* key, const std::vector<DnsConfig::StubZone>& value) const {
        settings::list_of<DnsConfig::StubZone>("", "").dump(w, key, value);
    }
};

}  // namespace

auto settings_fields(const DnsConfig::StubZone*) {
    using settings::field;
    return std::tuple{field<&DnsConfig::StubZone::zone>(settings::required(ZoneCodec{})),
                      field<&DnsConfig::StubZone::servers>(settings::required(ServersCodec{}))};
}

// A stub zone nobody can be asked for is a typo, not a choice.
void settings_check(DnsConfig::StubZone&, const settings::Section& section) {
    if (!section.map().has("servers")) return;
    const YAML::Node servers = section.map().get("servers");
    if (!servers.IsNull() && !(servers.IsSequence() && servers.size() == 0)) return;
    const std::string at = section.path("servers");
    section.reporter().error(section.reporter().mark(at),
                             at + ": expected at least one server like \"127.0.0.1@5300\", got " +
                                 (servers.IsNull() ? "nothing" : "an empty list"));
}

auto settings_fields(const DnsConfig*) {
    using settings::field;
    return std::tuple{
        field<&DnsConfig::servers>(ServersCodec{}),
        field<&DnsConfig::resolv_conf>(RequiredPathCodec{}),
        field<&DnsConfig::stub_zones>(StubZonesCodec{}),
        field<&DnsConfig::transparent_local_zones>(settings::domains()),
        field<&DnsConfig::timeout>(settings::duration(1ms, 5min)),
        field<&DnsConfig::dnssec_trust_anchor_file>(RequiredPathCodec{}),
        field<&DnsConfig::cache_size>(settings::byte_size(settings::ByteSize{64ull << 10}, settings::ByteSize{4ull << 30})),
        // 0s is allowed: unbound then keeps nothing (a cap, not a lifetime).
        field<&DnsConfig::max_cache_ttl>(settings::whole_seconds(0s, 168h)),
        field<&DnsConfig::max_negative_cache_ttl>(settings::whole_seconds(0s, 168h)),
    };
}

DnsConfig decode_dns_settings(const YAML::Node& node, settings::Reporter& reporter) {
    return settings::decode_section<DnsConfig>(node, "dns", reporter);
}

void dump_dns_settings(settings::Writer& w, const DnsConfig& config) { settings::dump_section(w, "dns", config); }

}  // namespace mxgate::filters::dns
