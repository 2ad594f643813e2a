// MapReader walks one YAML map, reports unknown and duplicate keys (with a "did
// you mean" hint), and turns each field into its typed value with a range check.
// Nothing here throws for bad input: a bad field yields a Diagnostic and the
// default value, so decoding goes on and finds the other errors too.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/core/settings/reporter.hpp"
#include "proxy/core/settings/values.hpp"

namespace mxgate::settings {

// One YAML map (a section, a list element, a backend). A null node counts as an
// empty map, so "tls:" with nothing after it means "all defaults".
class MapReader {
public:
    MapReader(const YAML::Node& node, std::string path, Reporter& reporter,
              std::initializer_list<std::string_view> known_keys);
    MapReader(const YAML::Node& node, std::string path, Reporter& reporter, std::vector<std::string> known_keys);

    bool is_map() const noexcept { return is_map_; }
    const std::string& path() const noexcept { return path_; }
    const YAML::Node& node() const noexcept { return node_; }
    std::string field_path(std::string_view key) const;
    Reporter& reporter() const noexcept { return reporter_; }

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

// "list[3]": the path of one element, for messages and marks.
std::string element_path(const std::string& list, std::size_t index);
// A list value: reports anything else ("expected a list of <what>") and returns false.
bool expect_list(const YAML::Node& node, const std::string& path, std::string_view what, Reporter& reporter);

// An optional list field: absent or empty ("key:") is an empty list; anything
// but a list is reported. Calls `item(node, mark, path)` for each element.
template <class Item>
void for_each_item(MapReader& m, std::string_view key, std::string_view what, Reporter& reporter, Item item) {
    if (!m.has(key)) return;
    const YAML::Node list = m.get(key);
    if (list.IsNull()) return;
    const std::string path = m.field_path(key);
    if (!list.IsSequence()) {
        reporter.error(list, path + ": expected a list of " + std::string(what) + ", got " + describe(list));
        return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const YAML::Node element = list[i];
        // An empty element ("- ") has no mark of its own: point at the list.
        item(element, element.IsNull() ? list.Mark() : element.Mark(), element_path(path, i));
    }
}

// A list of networks at `path` (trusted_networks, filters.greylist.allow_networks):
// bad entries and entries with host bits set are reported and skipped.
std::vector<Network> decode_network_list(const YAML::Node& node, const std::string& path, Reporter& reporter);

}  // namespace mxgate::settings
