#include "proxy/log.hpp"

#include <atomic>

#include <spdlog/sinks/stdout_sinks.h>

#include "proxy/smtp/printable.hpp"

namespace mxgate::log {

namespace {

std::atomic<bool> json_format{false};

bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || c == '\\') return true;
    return false;
}

std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

Line& Line::add(std::string_view key, std::string_view value) {
    fields_.emplace_back(std::string(key), smtp::printable(value, 1000));
    return *this;
}

std::string Line::str() const {
    std::string out;
    if (json_format.load(std::memory_order_relaxed)) {
        out = "{";
        for (const auto& [key, value] : fields_) {
            if (out.size() > 1) out += ',';
            out += quoted(key) + ':' + quoted(value);
        }
        return out + "}";
    }
    for (const auto& [key, value] : fields_) {
        if (!out.empty()) out += ' ';
        out += key;
        out += '=';
        out += needs_quotes(value) ? quoted(value) : value;
    }
    return out;
}

void configure(const config::Logging& logging) {
    static bool initialized = false;
    if (!initialized) {
        // stderr, unbuffered lines: tests and systemd/journald read it directly.
        auto logger = spdlog::stderr_logger_mt("mxgate");
        spdlog::set_default_logger(logger);
        initialized = true;
    }
    json_format = logging.format == "json";
    spdlog::set_pattern(json_format ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %l %v");
    spdlog::set_level(spdlog::level::from_str(logging.level));
    spdlog::flush_on(spdlog::level::trace);
}

}  // namespace mxgate::log
