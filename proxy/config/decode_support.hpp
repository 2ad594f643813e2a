// Internal to proxy/config: the pieces every section decoder shares. A Reporter
// collects located Diagnostics; a MapReader walks one YAML map, reports unknown
// and duplicate keys (with a "did you mean" hint), and turns each field into its
// typed value with a range check. Nothing here throws for bad input: a bad field
// yields a Diagnostic and the default value, so decoding goes on and finds the
// other errors too.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/config/config.hpp"
#include "proxy/config/decode.hpp"

namespace mxgate::config::detail {

// Where decoding happens: the file for messages, the directory that relative
// paths are resolved against, and where each decoded field was found, so the
// cross-checks after decoding can point at the right line too.
class Reporter {
public:
    Reporter(std::string file, std::string base_dir, Diagnostics& out)
        : file_(std::move(file)), base_dir_(std::move(base_dir)), out_(out) {}

    void error(const YAML::Mark& mark, std::string message);
    void error(const YAML::Node& node, std::string message) { error(node.Mark(), std::move(message)); }

    // Marks recorded by MapReader, keyed by the dotted path ("tls.certificate",
    // "listeners[0].tls"). key_mark() is where the key itself is written.
    void remember(const std::string& path, const YAML::Mark& key, const YAML::Mark& value);
    YAML::Mark mark(const std::string& path) const;
    YAML::Mark key_mark(const std::string& path) const;
    // File paths as the user wrote them (before resolution), for messages.
    void remember_text(const std::string& path, std::string text) { written_[path] = std::move(text); }
    std::string written(const std::string& path) const;

    const std::string& base_dir() const noexcept { return base_dir_; }
    std::size_t error_count() const noexcept { return out_.size(); }

private:
    std::string file_;
    std::string base_dir_;
    Diagnostics& out_;
    std::map<std::string, std::pair<YAML::Mark, YAML::Mark>> marks_;
    std::map<std::string, std::string> written_;
};

// One YAML map (a section, a list element, a backend). A null node counts as an
// empty map, so "tls:" with nothing after it means "all defaults".
class MapReader {
public:
    MapReader(const YAML::Node& node, std::string path, Reporter& reporter,
              std::initializer_list<std::string_view> known_keys);

    bool is_map() const noexcept { return is_map_; }
    const std::string& path() const noexcept { return path_; }
    const YAML::Node& node() const noexcept { return node_; }
    std::string field_path(std::string_view key) const;

    bool has(std::string_view key) const;
    // The value node, or an undefined node when the key is absent.
    YAML::Node get(std::string_view key) const;
    // Reports "missing key" at the map when absent; returns has(key).
    bool require(std::string_view key);

    // Typed fields: the decoded value when present and valid; `fallback` when the
    // key is absent or the value is bad (then a Diagnostic has been added).
    std::string string(std::string_view key, const std::string& fallback);
    // A string that must never be echoed: its errors say what is wrong, not what was written.
    std::string secret(std::string_view key, const std::string& fallback);
    std::string hostname(std::string_view key, const std::string& fallback);   // "" or a DNS name
    std::string file_path(std::string_view key, const std::string& fallback);  // absolute after this
    bool boolean(std::string_view key, bool fallback);
    std::uint64_t number(std::string_view key, std::uint64_t min, std::uint64_t max, std::uint64_t fallback);
    Duration duration(std::string_view key, Duration min, Duration max, Duration fallback);
    // A duration that must be a whole number of seconds ("90s", "5m", "2000ms"; not "1500ms").
    std::chrono::seconds seconds(std::string_view key, std::chrono::seconds min, std::chrono::seconds max,
                                 std::chrono::seconds fallback);
    ByteSize byte_size(std::string_view key, ByteSize min, ByteSize max, ByteSize fallback);
    template <class Enum>
    Enum choice(std::string_view key, std::initializer_list<std::pair<std::string_view, Enum>> names, Enum fallback);
    std::string choice(std::string_view key, std::initializer_list<std::string_view> names,
                       const std::string& fallback);

    // "expected <what>, got <value>" at the value (or at the key when the value is empty).
    void expected(std::string_view key, std::string_view what);
    // "expected <what>" at the value, when `what` already says what was found.
    void expected_exactly(std::string_view key, std::string_view what);

private:
    struct Entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
    };
    const Entry* find(std::string_view key) const;
    std::optional<std::string> scalar(std::string_view key, std::string_view what);
    Duration checked_duration(std::string_view key, Duration min, Duration max, Duration fallback,
                              const std::string& what, bool whole_seconds);

    YAML::Node node_;
    std::string path_;
    Reporter& reporter_;
    bool is_map_ = false;
    std::vector<Entry> entries_;
};

template <class Enum>
Enum MapReader::choice(std::string_view key, std::initializer_list<std::pair<std::string_view, Enum>> names,
                       Enum fallback) {
    std::string what = "one of ";
    for (const auto& [name, value] : names) {
        if (what.size() > 7) what += ", ";
        what += name;
    }
    auto text = scalar(key, what);
    if (!text) return fallback;
    for (const auto& [name, value] : names)
        if (*text == name) return value;
    expected(key, what);
    return fallback;
}

// How a YAML value is shown after "got": the scalar in quotes, "a map", "a list", "nothing".
std::string describe(const YAML::Node& node);
// A key name or path as text in a message, with control characters escaped.
std::string escaped(std::string_view text);
// Levenshtein distance; used for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate when it is close enough to be a likely typo, else "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// RFC 1035 §2.3.1 host names (letters, digits, hyphens; labels of 1..63; 253 total),
// case-insensitive. Also accepts "xn--" labels since they are plain LDH.
bool is_dns_name(std::string_view name);
// Relative paths are resolved against the config file's directory.
std::string resolve_path(const std::string& base_dir, const std::string& path);

// Like parse_network() but keeps host bits ("10.0.0.1/8"), so the decoder can
// say what is wrong; masked() clears them.
std::optional<Network> parse_network_with_host_bits(const std::string& text);
Network masked(const Network& network);

// Duration and size formatting for dump_config: the largest exact unit.
std::string format_duration(Duration d);
std::string format_byte_size(ByteSize size);

// One decoder per section (decode_sections.cpp). A missing section is an
// undefined node and yields the defaults.
Server decode_server(const YAML::Node& node, Reporter& reporter);
std::vector<Listener> decode_listeners(const YAML::Node& node, Reporter& reporter);
Tls decode_tls(const YAML::Node& node, Reporter& reporter);
Limits decode_limits(const YAML::Node& node, Reporter& reporter);
Timeouts decode_timeouts(const YAML::Node& node, Reporter& reporter);
std::vector<Network> decode_trusted_networks(const YAML::Node& node, Reporter& reporter);
std::vector<Network> decode_xclient_networks(const YAML::Node& node, Reporter& reporter);
// A list of networks at `path` (trusted_networks, filters.greylist.allow_networks):
// bad entries and entries with host bits set are reported and skipped.
std::vector<Network> decode_network_list(const YAML::Node& node, const std::string& path, Reporter& reporter);
std::map<std::string, std::string> decode_domains(const YAML::Node& node, Reporter& reporter);
std::map<std::string, Backend> decode_backends(const YAML::Node& node, Reporter& reporter);
Logging decode_logging(const YAML::Node& node, Reporter& reporter);
// decode_filters.cpp: the shared resolver, the state store and the filters.
filters::dns::DnsConfig decode_dns(const YAML::Node& node, Reporter& reporter);
filters::state::StateConfig decode_state(const YAML::Node& node, Reporter& reporter);
filters::FilterSettings decode_filters(const YAML::Node& node, Reporter& reporter);
// Checks across dns/state/filters (after decoding): files that must exist.
void check_filters(const Config& config, Reporter& reporter);

// Checks that need OpenSSL (tls_check.cpp): "" when fine, else the reason.
std::string check_readable(const std::string& path);
struct TlsProblem {
    std::string field;   // "tls.certificate" or "tls.private_key"; empty = no problem
    std::string reason;
};
TlsProblem check_certificate_and_key(const std::string& certificate, const std::string& private_key);
std::string check_ca_file(const std::string& path);
std::string check_ciphers(const std::string& ciphers);

}  // namespace mxgate::config::detail
