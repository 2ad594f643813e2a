// MapReader: typed, range-checked fields of one YAML map (map_reader.hpp).
#include "proxy/core/settings/map_reader.hpp"

#include <algorithm>

namespace mxgate::settings {

namespace {

bool has_control_character(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

MapReader::MapReader(const YAML::Node& node, std::string path, Reporter& reporter,
                     std::initializer_list<std::string_view> known_keys)
    : MapReader(node, std::move(path), reporter, std::vector<std::string>(known_keys.begin(), known_keys.end())) {}

MapReader::MapReader(const YAML::Node& node, std::string path, Reporter& reporter, std::vector<std::string> known)
    : node_(node), path_(std::move(path)), reporter_(reporter) {
    if (!node.IsDefined() || node.IsNull()) {
        is_map_ = true;  // an empty section: all defaults
        return;
    }
    if (!node.IsMap()) {
        reporter_.error(node, (path_.empty() ? std::string("the top level") : path_) + ": expected a map, got " +
                                  describe(node));
        return;
    }
    is_map_ = true;
    const std::string where = path_.empty() ? "at the top level" : "in " + path_;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;  // a copy: the iterator hands out temporaries
        if (!key.IsScalar()) {
            reporter_.error(key, "expected a key name " + where + ", got " + describe(key));
            continue;
        }
        const std::string& name = key.Scalar();
        if (const Entry* first = find(name)) {
            reporter_.error(key, "duplicate key '" + escaped(name) + "' " + where + " (first on line " +
                                     std::to_string(first->key_node.Mark().line + 1) + ")");
            continue;
        }
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string message = "unknown key '" + escaped(name) + "' " + where;
            if (auto suggestion = closest(name, known); !suggestion.empty())
                message += "; did you mean '" + suggestion + "'?";
            reporter_.error(key, std::move(message));
            continue;
        }
        entries_.push_back(Entry{name, key, it->second});
        // An empty value has no useful mark of its own (yaml-cpp points at the next
        // line); point at the key instead.
        const YAML::Node value = it->second;
        reporter_.remember(field_path(name), key.Mark(), value.IsNull() ? key.Mark() : value.Mark());
    }
}

std::string MapReader::field_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
    for (const auto& entry : entries_)
        if (entry.key == key) return &entry;
    return nullptr;
}

bool MapReader::has(std::string_view key) const { return find(key) != nullptr; }

YAML::Node MapReader::get(std::string_view key) const {
    const Entry* entry = find(key);
    return entry ? entry->value : YAML::Node(YAML::NodeType::Undefined);
}

bool MapReader::require(std::string_view key) {
    if (has(key)) return true;
    if (!is_map_) return false;  // already reported
    const std::string where = path_.empty() ? std::string() : path_ + ": ";
    YAML::Mark mark = node_.IsDefined() ? node_.Mark() : YAML::Mark::null_mark();
    if (mark.is_null() && !path_.empty()) mark = reporter_.key_mark(path_);
    reporter_.error(mark, where + "missing key '" + std::string(key) + "'");
    return false;
}

void MapReader::expected(std::string_view key, std::string_view what) {
    const Entry* entry = find(key);
    if (!entry) return;
    const std::string got = ", got " + describe(entry->value);
    expected_exactly(key, std::string(what) + got);
}

void MapReader::expected_exactly(std::string_view key, std::string_view what) {
    const Entry* entry = find(key);
    if (!entry) return;
    const YAML::Mark mark = entry->value.IsNull() ? entry->key_node.Mark() : entry->value.Mark();
    reporter_.error(mark, field_path(key) + ": expected " + std::string(what));
}

std::optional<std::string> MapReader::scalar(std::string_view key, std::string_view what) {
    const Entry* entry = find(key);
    if (!entry) return std::nullopt;
    if (!entry->value.IsScalar()) {
        expected(key, what);
        return std::nullopt;
    }
    return entry->value.Scalar();
}

std::string MapReader::string(std::string_view key, const std::string& fallback) {
    const Entry* entry = find(key);
    if (!entry) return fallback;
    if (entry->value.IsNull()) return std::string();  // "key:" with nothing = empty string
    auto text = scalar(key, "a string");
    if (!text) return fallback;
    if (has_control_character(*text)) {
        expected(key, "a string without control characters");
        return fallback;
    }
    return *text;
}

std::string MapReader::secret(std::string_view key, const std::string& fallback) {
    const Entry* entry = find(key);
    if (!entry) return fallback;
    if (entry->value.IsNull()) return std::string();
    if (entry->value.IsScalar() && !has_control_character(entry->value.Scalar())) return entry->value.Scalar();
    expected_exactly(key, "a string without control characters, got " +
                              (entry->value.IsScalar() ? std::string(redacted) : describe(entry->value)));
    return fallback;
}

std::string MapReader::hostname(std::string_view key, const std::string& fallback) {
    if (!has(key)) return fallback;
    std::string text = string(key, fallback);
    if (text.empty() || is_dns_name(text)) return text;
    expected(key, "a host name like \"mx.example.org\"");
    return fallback;
}

std::string MapReader::file_path(std::string_view key, const std::string& fallback) {
    if (!has(key)) return fallback;
    std::string text = string(key, fallback);
    reporter_.remember_text(field_path(key), text);
    return resolve_path(reporter_.base_dir(), text);
}

bool MapReader::boolean(std::string_view key, bool fallback) {
    auto text = scalar(key, "true or false");
    if (!text) return fallback;
    // YAML 1.2 core schema booleans only: "yes"/"on" are too easy to misread.
    if (*text == "true" || *text == "True" || *text == "TRUE") return true;
    if (*text == "false" || *text == "False" || *text == "FALSE") return false;
    expected(key, "true or false");
    return fallback;
}

std::uint64_t MapReader::number(std::string_view key, std::uint64_t min, std::uint64_t max, std::uint64_t fallback) {
    const std::string what = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    auto text = scalar(key, what);
    if (!text) return fallback;
    std::uint64_t value = 0;
    bool ok = !text->empty() && text->size() <= 19;
    for (const char c : *text) {
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || value < min || value > max) {
        expected(key, what);
        return fallback;
    }
    return value;
}

Duration MapReader::duration(std::string_view key, Duration min, Duration max, Duration fallback) {
    const std::string what = "a duration from " + format_duration(min) + " to " + format_duration(max) +
                             " with a unit (ms, s, m, h) like \"30s\"";
    return checked_duration(key, min, max, fallback, what, false);
}

std::chrono::seconds MapReader::seconds(std::string_view key, std::chrono::seconds min, std::chrono::seconds max,
                                        std::chrono::seconds fallback) {
    const std::string what = "a duration in whole seconds from " + format_duration(min) + " to " +
                             format_duration(max) + " with a unit (s, m, h) like \"30s\"";
    const Duration value = checked_duration(key, min, max, fallback, what, true);
    return std::chrono::duration_cast<std::chrono::seconds>(value);
}

Duration MapReader::checked_duration(std::string_view key, Duration min, Duration max, Duration fallback,
                                     const std::string& what, bool whole_seconds) {
    auto text = scalar(key, what);
    if (!text) return fallback;
    const auto value = parse_duration(*text);
    if (!value || *value < min || *value > max || (whole_seconds && value->count() % 1000 != 0)) {
        // "300": seconds or milliseconds? A unit is required so nobody has to guess.
        const bool bare_number = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
            return c >= '0' && c <= '9';
        });
        if (bare_number) expected_exactly(key, what + ", got \"" + escaped(*text) + "\" without a unit");
        else expected(key, what);
        return fallback;
    }
    return *value;
}

ByteSize MapReader::byte_size(std::string_view key, ByteSize min, ByteSize max, ByteSize fallback) {
    const std::string what = "a size from " + format_byte_size(min) + " to " + format_byte_size(max) +
                             " like \"50MiB\" (units: B, KiB, MiB, GiB, kB, MB, GB)";
    auto text = scalar(key, what);
    if (!text) return fallback;
    const auto value = parse_byte_size(*text);
    if (!value || value->bytes < min.bytes || value->bytes > max.bytes) {
        expected(key, what);
        return fallback;
    }
    return *value;
}

std::string MapReader::choice(std::string_view key, std::initializer_list<std::string_view> names,
                              const std::string& fallback) {
    std::string what = "one of ";
    for (const auto name : names) {
        if (what.size() > 7) what += ", ";
        what += name;
    }
    auto text = scalar(key, what);
    if (!text) return fallback;
    if (std::find(names.begin(), names.end(), *text) != names.end()) return *text;
    expected(key, what);
    return fallback;
}

std::string element_path(const std::string& list, std::size_t index) {
    return list + "[" + std::to_string(index) + "]";
}

// A list section: reports a non-list and returns false.
bool expect_list(const YAML::Node& node, const std::string& path, std::string_view what, Reporter& reporter) {
    if (node.IsSequence()) return true;
    reporter.error(node.IsNull() ? reporter.key_mark(path) : node.Mark(),
                   path + ": expected a list of " + std::string(what) + ", got " + describe(node));
    return false;
}

std::vector<Network> decode_network_list(const YAML::Node& node, const std::string& list, Reporter& reporter) {
    std::vector<Network> networks;
    if (!expect_list(node, list, "networks", reporter)) return networks;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node& item = node[i];
        const std::string path = element_path(list, i);
        const std::string text = item.IsScalar() ? item.Scalar() : std::string();
        auto network = item.IsScalar() ? parse_network_with_host_bits(text) : std::nullopt;
        if (!network) {
            reporter.error(item.IsNull() ? node.Mark() : item.Mark(),
                           path + ": expected a network like \"192.0.2.0/24\", \"2001:db8::/32\" or an address, got " +
                               describe(item));
            continue;
        }
        if (const Network base = masked(*network); base.address != network->address) {
            // Almost always a typo for the network address; refusing it beats guessing.
            reporter.error(item, path + ": \"" + escaped(text) + "\" has bits set after the /" +
                                     std::to_string(network->prefix_length) + " prefix; did you mean \"" +
                                     base.address.to_string() + "/" + std::to_string(base.prefix_length) + "\"?");
            continue;
        }
        networks.push_back(*network);
    }
    return networks;
}

}  // namespace mxgate::settings
