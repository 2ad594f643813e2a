// The rules of the proxy's own sections (server, listeners, tls, limits, timeouts,
// backends, logging): the fields that need more than their type says, and the checks across
// fields. The keys themselves are the described members in config.hpp; decoding
// and the --check-config dump are derived from both (proxy/core/settings/describe.hpp).
// Internal to proxy/config; checks across sections stay in decode.cpp.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "proxy/config/decode_support.hpp"
#include "proxy/core/settings/describe.hpp"

namespace mxgate::config {

namespace detail {

// Backend, user and group names: letters, digits, '_', '-', '.'.
inline bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Free text of at most `max_length` characters (server.banner).
struct ShortTextCodec {
    std::size_t max_length;
    void decode(MapReader& m, std::string_view key, std::string& value) const {
        std::string text = m.string(key, value);
        if (text.size() > max_length) {
            m.expected(key, "at most " + std::to_string(max_length) + " characters");
            return;
        }
        value = std::move(text);
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

// A user or group name for the privilege drop ("" = none).
struct AccountNameCodec {
    void decode(MapReader& m, std::string_view key, std::string& value) const {
        std::string name = m.string(key, value);
        if (name.size() > 32 || !std::all_of(name.begin(), name.end(), is_name_char)) {
            m.expected(key, "a user or group name (letters, digits, '_', '-', '.')");
            return;
        }
        value = std::move(name);
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

// "one of a, b, c" for the message of a bad choice.
template <class Names, class NameOf>
std::string one_of_text(const Names& names, NameOf name_of) {
    std::string what = "one of ";
    for (const auto& name : names) what += (what.size() > 7 ? ", " : "") + std::string(name_of(name));
    return what;
}

// One of a few fixed words, kept as text (tls.min_version, logging.level).
template <std::size_t N>
struct WordCodec {
    std::array<std::string_view, N> words;
    void decode(MapReader& m, std::string_view key, std::string& value) const {
        if (!m.has(key)) return;
        const std::string what = one_of_text(words, [](std::string_view word) { return word; });
        const YAML::Node node = m.get(key);
        if (node.IsScalar() && std::find(words.begin(), words.end(), node.Scalar()) != words.end())
            value = node.Scalar();
        else
            m.expected(key, what);
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.plain(key, value); }
};

template <class... Words>
constexpr WordCodec<sizeof...(Words)> one_of(Words... words) {
    return {{std::string_view(words)...}};
}

// An OpenSSL cipher list that names at least one cipher OpenSSL knows ("" = its default).
struct CipherListCodec {
    void decode(MapReader& m, std::string_view key, std::string& value) const {
        std::string ciphers = m.string(key, value);
        if (ciphers.empty()) return;
        if (auto problem = check_ciphers(ciphers); !problem.empty()) {
            const std::string path = m.field_path(key);
            m.reporter().error(m.reporter().mark(path), path + ": " + problem);
            return;
        }
        value = std::move(ciphers);
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

// 0 (the check is off) or a whole number in [min, max].
struct NumberOrOffCodec {
    std::uint64_t min;
    std::uint64_t max;
    template <class V>
    void decode(MapReader& m, std::string_view key, V& value) const {
        const auto number = m.number(key, 0, max, value);
        if (number != 0 && number < min)
            m.expected(key, "0 (off) or a whole number from " + std::to_string(min) + " to " + std::to_string(max));
        else
            value = static_cast<V>(number);
    }
    template <class V>
    void dump(settings::Writer& w, const char* key, V value) const { w.number(key, value); }
};

// "host:port" or "[IPv6]:port"; port 0 = ephemeral (listeners).
struct EndpointCodec {
    void decode(MapReader& m, std::string_view key, Endpoint& value) const {
        if (!m.has(key)) return;
        if (auto endpoint = parse_endpoint(m.string(key, ""))) value = *endpoint;
        else m.expected(key, "\"host:port\" or \"[IPv6]:port\" with a port from 0 to 65535");
    }
    void dump(settings::Writer& w, const char* key, const Endpoint& value) const { w.text(key, value.str()); }
};

// An endpoint, or "" for off (metrics.listen).
struct EndpointOrOffCodec {
    void decode(MapReader& m, std::string_view key, Endpoint& value) const {
        if (!m.has(key)) return;
        const std::string text = m.string(key, "");
        if (text.empty()) value = Endpoint{};
        else if (auto endpoint = parse_endpoint(text)) value = *endpoint;
        else m.expected(key, "\"\" (off), \"host:port\" or \"[IPv6]:port\" with a port from 0 to 65535");
    }
    void dump(settings::Writer& w, const char* key, const Endpoint& value) const {
        w.text(key, value.host.empty() ? std::string() : value.str());
    }
};

// A switch that is reserved for a later feature: only false is accepted yet.
struct ReservedFlagCodec {
    const char* why;
    void decode(MapReader& m, std::string_view key, bool& value) const {
        if (m.boolean(key, false)) m.expected(key, "false (" + std::string(why) + ")");
        value = false;
    }
    void dump(settings::Writer& w, const char* key, bool value) const { w.flag(key, value); }
};

// backends.*.client_identity: the word `auto` cannot be the enumerator's name.
struct ClientIdentityCodec {
    static constexpr std::array<std::pair<std::string_view, ClientIdentity>, 4> names{{
        {"auto", ClientIdentity::auto_},
        {"xclient", ClientIdentity::xclient},
        {"xforward", ClientIdentity::xforward},
        {"none", ClientIdentity::none},
    }};
    void decode(MapReader& m, std::string_view key, ClientIdentity& value) const {
        if (!m.has(key)) return;
        const YAML::Node node = m.get(key);
        for (const auto& [name, identity] : names)
            if (node.IsScalar() && node.Scalar() == name) {
                value = identity;
                return;
            }
        m.expected(key, one_of_text(names, [](const auto& entry) { return entry.first; }));
    }
    void dump(settings::Writer& w, const char* key, ClientIdentity value) const {
        for (const auto& [name, identity] : names)
            if (identity == value) w.plain(key, std::string(name));
    }
};

// A directory that must be given (maildir path): absolute after decoding.
struct DirectoryCodec {
    void decode(MapReader& m, std::string_view key, std::string& value) const {
        value = m.file_path(key, "");
        if (value.empty()) m.expected(key, "a directory");
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

// smtp/lmtp servers, tried in order: at least one "host:port" with a port other than 0.
struct ServerListCodec {
    void decode(MapReader& m, std::string_view key, std::vector<Endpoint>& value) const;  // decode_sections.cpp
    void dump(settings::Writer& w, const char* key, const std::vector<Endpoint>& value) const {
        std::vector<std::string> texts;
        for (const auto& server : value) texts.push_back(server.str());
        w.texts(key, texts);
    }
};

// Maildir recipients: "alice" or "alice@example.org", lower-cased.
struct MailboxListCodec {
    void decode(MapReader& m, std::string_view key, std::vector<std::string>& value) const;  // decode_sections.cpp
    void dump(settings::Writer& w, const char* key, const std::vector<std::string>& value) const {
        w.texts(key, value);
    }
};

// Whether a backend of `kind` takes `key`: a key of the other kind is a mistake,
// not a silently ignored setting.
inline bool backend_takes(BackendKind kind, std::string_view key) {
    constexpr std::array<std::string_view, 4> maildir_keys{"path", "mailboxes", "create_mailboxes",
                                                           "max_new_mailboxes_per_message"};
    if (key == "allow_untrusted_routing") return true;
    if (key == "mixed_outcome_memory") return kind == BackendKind::lmtp;
    const bool maildir_key = std::find(maildir_keys.begin(), maildir_keys.end(), key) != maildir_keys.end();
    return maildir_key == (kind == BackendKind::maildir);
}

}  // namespace detail

inline auto settings_fields(const Server*) {
    using namespace settings;
    return std::tuple{
        field<&Server::hostname>(hostname()),
        // RFC 5321 §4.5.3.1.5: the whole 220 reply line must stay within 512 octets.
        field<&Server::banner>(detail::ShortTextCodec{200}),
        field<&Server::authserv_id>(hostname()),
        field<&Server::workers>(number(0, 256)),
        field<&Server::user>(detail::AccountNameCodec{}),
        field<&Server::group>(detail::AccountNameCodec{}),
    };
}

inline void settings_check(Server& server, const settings::Section& section) {
    if (server.user.empty() && !server.group.empty())
        section.reporter().error(section.reporter().mark(section.path("group")), "server.group: needs server.user");
}

inline auto settings_fields(const Listener*) {
    using namespace settings;
    return std::tuple{
        field<&Listener::address>(required(detail::EndpointCodec{})),
        field<&Listener::proxy_protocol>(detail::ReservedFlagCodec{"the PROXY protocol is not supported yet"}),
    };
}

inline auto settings_fields(const Tls*) {
    using namespace settings;
    return std::tuple{
        field<&Tls::certificate>(file_path()),
        field<&Tls::private_key>(file_path()),
        field<&Tls::min_version>(detail::one_of("TLSv1.2", "TLSv1.3")),
        field<&Tls::ciphers>(detail::CipherListCodec{}),
    };
}

inline auto settings_fields(const Limits*) {
    using namespace settings;
    return std::tuple{
        // RFC 5321 §4.5.3.1.4: a command line of 512 octets must be accepted.
        field<&Limits::max_command_line_length>(number(512, 65536)),
        // RFC 5321 §4.5.3.1.6: text lines of 1000 octets must pass; 0 turns the check off.
        field<&Limits::max_text_line_length>(detail::NumberOrOffCodec{1000, 1048576}),
        // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; fewer is allowed but unusual.
        field<&Limits::max_recipients>(number(1, 100000)),
        field<&Limits::recipient_overshoot_limit>(number(0, 100000)),
        field<&Limits::max_message_size>(byte_size(ByteSize{1024}, ByteSize{4ull << 30})),
        field<&Limits::max_errors>(number(1, 1000)),
        field<&Limits::max_junk_commands>(number(1, 100000)),
        field<&Limits::max_connections>(number(1, 1000000)),
        field<&Limits::max_connections_per_ip>(number(1, 1000000)),
        // The filters' ipv4_prefix/ipv6_prefix ranges: a shorter prefix would lump whole providers together.
        field<&Limits::connection_limit_ipv4_prefix>(number(8, 32)),
        field<&Limits::connection_limit_ipv6_prefix>(number(16, 128)),
        field<&Limits::max_transactions_per_session>(number(1, 1000000)),
    };
}

inline auto settings_fields(const Timeouts*) {
    using namespace settings;
    constexpr auto any_deadline = duration(1ms, 24h);
    return std::tuple{
        field<&Timeouts::command>(any_deadline),
        field<&Timeouts::data>(any_deadline),
        field<&Timeouts::tls_handshake>(any_deadline),
        field<&Timeouts::shutdown>(any_deadline),
        field<&Timeouts::backend_connect>(any_deadline),
        field<&Timeouts::backend_reply>(any_deadline),
        field<&Timeouts::backend_data_done>(any_deadline),
        field<&Timeouts::backend_idle>(any_deadline),
    };
}

inline auto settings_fields(const Backend*) {
    using namespace settings;
    return std::tuple{
        field<&Backend::servers>(required(detail::ServerListCodec{})),
        field<&Backend::path>(required(detail::DirectoryCodec{})),
        field<&Backend::mailboxes>(detail::MailboxListCodec{}),
        field<&Backend::max_new_mailboxes_per_message>(number(1, 100000)),
        field<&Backend::ca_file>(file_path()),
        field<&Backend::tls_server_name>(hostname()),
        field<&Backend::client_identity>(detail::ClientIdentityCodec{}),
        field<&Backend::helo_name>(hostname()),
        field<&Backend::max_idle_connections>(number(0, 1024)),
        field<&Backend::max_connections>(number(1, 100000)),
        field<&Backend::mixed_outcome_memory>(duration(std::chrono::minutes(1), std::chrono::hours(720))),
    };
}

inline auto settings_fields(const Spool*) {
    using namespace settings;
    return std::tuple{
        field<&Spool::directory>(file_path()),
        field<&Spool::memory_limit>(byte_size(ByteSize{0}, ByteSize{64ull << 20})),
    };
}

// Checked at load, as the backends' paths are: a spool that cannot be written
// would only show at the first big message, as a 451 for it.
void settings_check(Spool& spool, const settings::Section& section);

// A duration that also takes days ("30d"), for retention periods.
struct RetentionCodec {
    void decode(settings::MapReader& m, std::string_view key, Duration& value) const;  // decode_sections.cpp
    void dump(settings::Writer& w, const char* key, Duration value) const;
};

inline auto settings_fields(const Quarantine*) {
    using namespace settings;
    return std::tuple{
        field<&Quarantine::directory>(file_path()),
        field<&Quarantine::retention>(RetentionCodec{}),
    };
}

// The directory must be writable (or creatable) and the store's own keys given;
// the backend name is checked across sections (decode.cpp).
void settings_check(Quarantine& quarantine, const settings::Section& section);

// A polling interval that 0 turns off ("0" needs no unit: nothing is polled; "0s" is off too).
struct IntervalOrOffCodec {
    Duration min;
    Duration max;
    void decode(settings::MapReader& m, std::string_view key, Duration& value) const {
        if (!m.has(key)) return;
        const YAML::Node node = m.get(key);
        const auto parsed = node.IsScalar() ? settings::parse_duration(node.Scalar()) : std::nullopt;
        if (node.IsScalar() && (node.Scalar() == "0" || parsed == Duration::zero())) value = Duration::zero();
        else if (parsed && *parsed >= min && *parsed <= max) value = *parsed;
        else m.expected(key, "0 (off) or a duration from " + settings::format_duration(min) + " to " +
                                 settings::format_duration(max) +
                                 " with a unit (ms, s, m, h) like \"2s\"");
    }
    void dump(settings::Writer& w, const char* key, Duration value) const {
        if (value == Duration::zero()) w.plain(key, "0");
        else w.duration(key, value);
    }
};

inline auto settings_fields(const Policy*) {
    using namespace settings;
    return std::tuple{
        field<&Policy::file>(file_path()),
        field<&Policy::watch_interval>(IntervalOrOffCodec{100ms, 1h}),
    };
}

inline auto settings_fields(const Metrics*) {
    using namespace settings;
    return std::tuple{field<&Metrics::listen>(detail::EndpointOrOffCodec{})};
}

inline auto settings_fields(const Logging*) {
    using namespace settings;
    return std::tuple{
        field<&Logging::level>(detail::one_of("trace", "debug", "info", "warn", "error")),
        field<&Logging::format>(detail::one_of("text", "json")),
    };
}

}  // namespace mxgate::config
