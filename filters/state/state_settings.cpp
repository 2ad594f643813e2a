// state: the rules of the fields the descriptions in state_config.hpp cannot infer.
#include "filters/state/state_settings.hpp"

#include <boost/asio/ip/address.hpp>

#include "proxy/core/settings/describe.hpp"

namespace mxgate::filters::state {

namespace {

struct KeyPrefixCodec {  // short: it is part of every key
    void decode(settings::MapReader& m, std::string_view key, std::string& value) const {
        const std::string fallback = value;
        value = m.string(key, value);
        if (value.size() <= 64) return;
        m.expected(key, "at most 64 characters");
        value = fallback;
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

struct HostCodec {  // an IP address (no scope id) or a host name
    void decode(settings::MapReader& m, std::string_view key, std::string& value) const {
        if (!m.has(key)) return;
        const std::string host = m.string(key, "");
        boost::system::error_code ec;
        boost::asio::ip::make_address(host, ec);
        if ((!ec && host.find('%') == std::string::npos) || settings::is_dns_name(host)) value = host;
        else m.expected(key, "an IP address or a host name like \"redis.example.org\"");
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

}  // namespace

auto settings_fields(const SqliteConfig*) {
    using settings::field;
    // The path may be empty when no filter needs the store; check_filters() checks it otherwise.
    return std::tuple{field<&SqliteConfig::path>(settings::file_path()),
                      field<&SqliteConfig::busy_timeout>(settings::duration(1ms, 5min))};
}

auto settings_fields(const RedisConfig*) {
    using settings::field;
    return std::tuple{
        field<&RedisConfig::host>(HostCodec{}),
        field<&RedisConfig::port>(settings::number(1, 65535)),
        // Redis has 16 databases by default (`databases` in redis.conf); the server refuses a bad SELECT.
        field<&RedisConfig::db>(settings::number(0, 65535)),
        field<&RedisConfig::password>(settings::secret()),
        field<&RedisConfig::timeout>(settings::duration(1ms, 5min)),
        field<&RedisConfig::reconnect_interval>(settings::duration(0ms, 1h)),
    };
}

auto settings_fields(const StateConfig*) {
    return std::tuple{settings::field<&StateConfig::key_prefix>(KeyPrefixCodec{})};
}

StateConfig decode_state_settings(const YAML::Node& node, settings::Reporter& reporter) {
    return settings::decode_section<StateConfig>(node, "state", reporter);
}

void dump_state_settings(settings::Writer& w, const StateConfig& config) { settings::dump_section(w, "state", config); }

}  // namespace mxgate::filters::state
