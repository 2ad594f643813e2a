// Configuration of the state store shared by greylisting and rate limits
// (yaml: state:), described once: the YAML keys are the member names, the defaults
// their initializers. The field rules are in state_settings.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

namespace mxgate::filters::state {

using namespace std::chrono_literals;

enum class Backend : std::uint8_t { sqlite, redis };  // YAML: sqlite | redis
BOOST_DESCRIBE_ENUM(Backend, sqlite, redis)

struct SqliteConfig {                                  // yaml: state.sqlite:
    std::string path = "/var/lib/mxgate/state.db";     // one file, WAL mode (+ -wal/-shm beside it)
    std::chrono::milliseconds busy_timeout = 2s;       // another process holding the write lock
    bool operator==(const SqliteConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(SqliteConfig, (), (path, busy_timeout))

struct RedisConfig {                                   // yaml: state.redis:
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    int db = 0;                                        // SELECT after connecting
    std::string password;                              // AUTH when not empty
    std::chrono::milliseconds timeout = 250ms;         // connect, and each command's send+receive
    std::chrono::milliseconds reconnect_interval = 1s; // after a failure: fail fast, then retry
    bool operator==(const RedisConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(RedisConfig, (), (host, port, db, password, timeout, reconnect_interval))

struct StateConfig {                                   // yaml: state:
    Backend backend = Backend::sqlite;
    SqliteConfig sqlite;
    RedisConfig redis;
    std::string key_prefix = "mxgate:";                // lets several deployments share one Redis
    bool operator==(const StateConfig&) const = default;
};
// In --check-config order.
BOOST_DESCRIBE_STRUCT(StateConfig, (), (backend, key_prefix, sqlite, redis))

}  // namespace mxgate::filters::state
