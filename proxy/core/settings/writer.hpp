// The dump side of settings: writes one key with its value the way --check-config
// shows it. Free text is double-quoted so that values like "null" or "yes" stay
// strings; durations and sizes carry their unit ("30s", "50MiB").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/core/settings/reporter.hpp"
#include "proxy/core/settings/values.hpp"

namespace mxgate::settings {

class Writer {
public:
    explicit Writer(YAML::Emitter& out) : out_(out) {}
    void text(const char* key, const std::string& value) {
        out_ << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
    }
    void plain(const char* key, const std::string& value) { out_ << YAML::Key << key << YAML::Value << value; }
    // Secrets never leave the process: "" stays "" (it says "none"), anything else is hidden.
    void secret(const char* key, const std::string& value) { text(key, value.empty() ? value : redacted); }
    void number(const char* key, std::uint64_t value) { out_ << YAML::Key << key << YAML::Value << value; }
    void flag(const char* key, bool value) {
        out_ << YAML::Key << key << YAML::Value << YAML::TrueFalseBool << YAML::LowerCase << value;
    }
    void duration(const char* key, Duration value) { plain(key, format_duration(value)); }
    void size(const char* key, ByteSize value) { plain(key, format_byte_size(value)); }
    void texts(const char* key, const std::vector<std::string>& values) {
        out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& value : values) out_ << YAML::DoubleQuoted << value;
        out_ << YAML::EndSeq;
    }
    void begin(const char* key) { out_ << YAML::Key << key << YAML::Value << YAML::BeginMap; }
    void end() { out_ << YAML::EndMap; }
    // A list of maps, each on one line; an empty list as "key: []".
    void begin_list(const char* key, bool empty) {
        out_ << YAML::Key << key << YAML::Value;
        if (empty) out_ << YAML::Flow;
        out_ << YAML::BeginSeq;
    }
    void begin_item() { out_ << YAML::Flow << YAML::BeginMap; }
    void end_item() { out_ << YAML::EndMap; }
    void end_list() { out_ << YAML::EndSeq; }

    YAML::Emitter& emitter() noexcept { return out_; }

private:
    YAML::Emitter& out_;
};

}  // namespace mxgate::settings
