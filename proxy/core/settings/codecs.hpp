// Codecs: how one settings field is read from YAML and written to the dump. A
// codec is a small value with the field's rule (a range, a unit) and two members:
//   void decode(MapReader& m, std::string_view key, V& value) const;  // value holds the default
//   void dump(Writer& w, const char* key, const V& value) const;
// decode() leaves `value` alone when the key is absent or the value is bad (then
// a Diagnostic has been added). Attach them to fields with settings::field<>
// (describe.hpp); bool, std::string, described enums and described structs need none.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "proxy/core/settings/map_reader.hpp"
#include "proxy/core/settings/writer.hpp"

namespace mxgate::settings {

struct FlagCodec {  // true | false
    void decode(MapReader& m, std::string_view key, bool& value) const { value = m.boolean(key, value); }
    void dump(Writer& w, const char* key, bool value) const { w.flag(key, value); }
};

struct TextCodec {  // any string without control characters; dumped quoted
    void decode(MapReader& m, std::string_view key, std::string& value) const { value = m.string(key, value); }
    void dump(Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

struct HostnameCodec {  // "" or a DNS name
    void decode(MapReader& m, std::string_view key, std::string& value) const { value = m.hostname(key, value); }
    void dump(Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

struct FilePathCodec {  // absolute after decoding, relative to the config file's directory
    void decode(MapReader& m, std::string_view key, std::string& value) const { value = m.file_path(key, value); }
    void dump(Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

struct SecretCodec {  // never echoed, neither in messages nor in the dump
    void decode(MapReader& m, std::string_view key, std::string& value) const { value = m.secret(key, value); }
    void dump(Writer& w, const char* key, const std::string& value) const { w.secret(key, value); }
};

// A whole number in [min, max], stored in any unsigned or non-negative integer field.
struct NumberCodec {
    std::uint64_t min;
    std::uint64_t max;
    template <class V>
    void decode(MapReader& m, std::string_view key, V& value) const {
        value = static_cast<V>(m.number(key, min, max, static_cast<std::uint64_t>(value)));
    }
    template <class V>
    void dump(Writer& w, const char* key, V value) const { w.number(key, static_cast<std::uint64_t>(value)); }
};

// A whole number in [min, max], negative allowed ("weight: -5").
struct SignedNumberCodec {
    int min;
    int max;
    void decode(MapReader& m, std::string_view key, int& value) const {
        if (!m.has(key)) return;
        const std::string text = m.string(key, std::to_string(value));
        int parsed = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (ec != std::errc() || end != text.data() + text.size() || parsed < min || parsed > max) {
            m.expected(key, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
            return;
        }
        value = parsed;
    }
    void dump(Writer& w, const char* key, int value) const { w.plain(key, std::to_string(value)); }
};

// A duration with a unit in [min, max] ("300ms", "30s").
struct DurationCodec {
    Duration min;
    Duration max;
    void decode(MapReader& m, std::string_view key, Duration& value) const {
        value = m.duration(key, min, max, value);
    }
    void dump(Writer& w, const char* key, Duration value) const { w.duration(key, value); }
};

// A duration in whole seconds in [min, max] ("90s", "5m", "2000ms"; not "1500ms").
struct SecondsCodec {
    std::chrono::seconds min;
    std::chrono::seconds max;
    void decode(MapReader& m, std::string_view key, std::chrono::seconds& value) const {
        value = m.seconds(key, min, max, value);
    }
    void dump(Writer& w, const char* key, std::chrono::seconds value) const { w.duration(key, value); }
};

// A size in [min, max] ("64KiB"), stored as ByteSize or as a plain byte count.
struct ByteSizeCodec {
    ByteSize min;
    ByteSize max;
    template <class V>
    void decode(MapReader& m, std::string_view key, V& value) const {
        if constexpr (std::is_same_v<V, ByteSize>) value = m.byte_size(key, min, max, value);
        else value = static_cast<V>(m.byte_size(key, min, max, ByteSize{value}).bytes);
    }
    template <class V>
    void dump(Writer& w, const char* key, const V& value) const {
        if constexpr (std::is_same_v<V, ByteSize>) w.size(key, value);
        else w.size(key, ByteSize{value});
    }
};

// Networks ("10.0.0.0/8", "2001:db8::/32", an address = one host); host bits set are an error.
struct NetworkListCodec {
    void decode(MapReader& m, std::string_view key, std::vector<Network>& value) const {
        if (!m.has(key) || m.get(key).IsNull()) return;
        value = decode_network_list(m.get(key), m.field_path(key), m.reporter());
    }
    void dump(Writer& w, const char* key, const std::vector<Network>& value) const {
        std::vector<std::string> texts;
        for (const auto& network : value) texts.push_back(network.str());
        w.texts(key, texts);
    }
};

// A zone or domain name: a host name, with an optional leading '.' (`leading_dot`)
// or trailing '.' (`trailing_dot`, the root-relative form unbound also takes).
bool is_domain(std::string_view name, bool leading_dot, bool trailing_dot);

// Domains, lower-cased ("example.org"; ".example.org" for the subdomains only).
struct DomainListCodec {
    void decode(MapReader& m, std::string_view key, std::vector<std::string>& value) const;
    void dump(Writer& w, const char* key, const std::vector<std::string>& value) const { w.texts(key, value); }
};

// The rule that a key must be present ("missing key 'zone'"), around any codec.
template <class Codec>
struct Required {
    Codec codec;
    template <class V>
    void decode(MapReader& m, std::string_view key, V& value) const {
        if (m.require(key)) codec.decode(m, key, value);
    }
    template <class V>
    void dump(Writer& w, const char* key, const V& value) const { codec.dump(w, key, value); }
};

// Short names for the rules next to a settings struct: number(1, 64), duration(1ms, 5min).
constexpr NumberCodec number(std::uint64_t min, std::uint64_t max) { return {min, max}; }
constexpr SignedNumberCodec signed_number(int min, int max) { return {min, max}; }
constexpr DurationCodec duration(Duration min, Duration max) { return {min, max}; }
constexpr SecondsCodec whole_seconds(std::chrono::seconds min, std::chrono::seconds max) { return {min, max}; }
constexpr ByteSizeCodec byte_size(ByteSize min, ByteSize max) { return {min, max}; }
constexpr HostnameCodec hostname() { return {}; }
constexpr FilePathCodec file_path() { return {}; }
constexpr SecretCodec secret() { return {}; }
constexpr NetworkListCodec networks() { return {}; }
constexpr DomainListCodec domains() { return {}; }
template <class Codec>
constexpr Required<Codec> required(Codec codec) { return {codec}; }

}  // namespace mxgate::settings
