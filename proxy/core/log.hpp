// Structured log lines: an event name plus key=value fields, written as logfmt
// (text) or one JSON object per line, through spdlog. Every log line of mxgate
// goes through here (proxy/ and filters/ alike, hence in the core). Values are
// escaped and truncated in add() (core::printable), so peer text (HELO, addresses,
// DNS names, replies) can neither break a line nor forge a field.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace mxgate::log {

class Line {
public:
    explicit Line(std::string_view event) { add("event", event); }
    Line& add(std::string_view key, std::string_view value);
    Line& add(std::string_view key, const char* value) { return add(key, std::string_view(value ? value : "")); }
    Line& add(std::string_view key, long long value) { return add(key, std::string_view(std::to_string(value))); }
    std::string str() const;

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

// logfmt (false, the default) or one JSON object per line (true); set by
// proxy/log.cpp from logging.format, read by every Line::str().
void set_json_format(bool json);
bool json_format();

inline void info(const Line& line) { spdlog::info(line.str()); }
inline void warn(const Line& line) { spdlog::warn(line.str()); }
inline void error(const Line& line) { spdlog::error(line.str()); }
// Per-command debug lines test this first, so a busy gateway does not build lines it drops.
inline bool debug_enabled() { return spdlog::should_log(spdlog::level::debug); }
inline void debug(const Line& line) {
    if (debug_enabled()) spdlog::debug(line.str());
}

}  // namespace mxgate::log
