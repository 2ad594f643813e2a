#include "proxy/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace mxgate::log {

namespace {
bool initialized = false;
}

void configure(const config::Logging& logging) {
    if (!initialized) {
        // stderr, unbuffered lines: tests and systemd/journald read it directly.
        auto logger = spdlog::stderr_logger_mt("mxgate");
        spdlog::set_default_logger(logger);
        initialized = true;
    }
    set_json_format(logging.format == "json");
    spdlog::set_pattern(json_format() ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %l %v");
    spdlog::set_level(spdlog::level::from_str(logging.level));
    spdlog::flush_on(spdlog::level::trace);
}

bool configured() { return initialized; }

void flush() { spdlog::default_logger()->flush(); }

}  // namespace mxgate::log
