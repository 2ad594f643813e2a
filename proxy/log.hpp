// Structured log lines: an event name plus key=value fields, written as logfmt
// (text) or one JSON object per line, through spdlog. Peer-supplied values are
// escaped and truncated here, so no caller can inject a line break into the log.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "proxy/config/config.hpp"

namespace mxgate::log {

class Line {
public:
    explicit Line(std::string_view event) { add("event", event); }
    Line& add(std::string_view key, std::string_view value);
    Line& add(std::string_view key, long long value) { return add(key, std::string_view(std::to_string(value))); }
    std::string str() const;

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

// Applies logging.level and logging.format; safe to call again on reload.
void configure(const config::Logging& logging);

inline void info(const Line& line) { spdlog::info(line.str()); }
inline void warn(const Line& line) { spdlog::warn(line.str()); }
inline void error(const Line& line) { spdlog::error(line.str()); }
inline void debug(const Line& line) {
    if (spdlog::should_log(spdlog::level::debug)) spdlog::debug(line.str());
}

}  // namespace mxgate::log
