// A real redis-server on loopback for the state store tests: started by the
// test in its own temp dir, remembered by PID and stopped by it (never a system
// service). redis-server takes port 0 to mean "no TCP", so it starts on a
// candidate port and, when another process took that port first, on a new one.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/closed_port.hpp"

extern char** environ;

namespace mxgate::test {

class RedisServer {
public:
    static constexpr int max_start_attempts = 5;

    // port 0: any free port. A given port (a restart where the last server was)
    // is tried once.
    explicit RedisServer(std::uint16_t port = 0, std::vector<std::string> extra_args = {})
        : port_(port), fixed_port_(port != 0), extra_args_(std::move(extra_args)) {
        char pattern[] = "/tmp/mxgate-redis-test-XXXXXX";
        dir_ = ::mkdtemp(pattern);
    }
    ~RedisServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }

    // Starts redis-server and waits until it accepts connections (up to 5 s per attempt).
    bool start() {
        for (int attempt = 1; attempt <= max_start_attempts; ++attempt) {
            if (!fixed_port_) port_ = candidate_port();
            if (start_on_port()) return true;
            stop();
            if (fixed_port_ || log().find("Address already in use") == std::string::npos) break;
            std::cerr << "[redis fixture] port " << port_ << " was taken before redis-server bound it (attempt "
                      << attempt << " of " << max_start_attempts << "), retrying on another\n";
        }
        std::cerr << "[redis fixture] redis-server did not start; its output:\n" << log();
        return false;
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGCONT);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    void pause() { ::kill(pid_, SIGSTOP); }   // the server hangs: calls must time out
    void resume() { ::kill(pid_, SIGCONT); }

private:
    // Free a moment ago: only a guess, start() retries when it was lost.
    static std::uint16_t candidate_port() {
        ClosedPort probe;
        return probe.port();
    }

    std::string log() const {
        std::ifstream in(dir_ / "redis.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    bool start_on_port() {
        std::vector<std::string> args{"/usr/bin/redis-server", "--port",  std::to_string(port_), "--bind", "127.0.0.1",
                                      "--save",                "",        "--appendonly", "no",  "--daemonize", "no",
                                      "--loglevel",            "notice",  "--dir", dir_.string()};
        args.insert(args.end(), extra_args_.begin(), extra_args_.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const std::string log_path = (dir_ / "redis.log").string();
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            return false;
        }
        // Its own log line, not a connection: a server of another process on the
        // same port must not pass for this one.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            if (log().find("Ready to accept connections") != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    std::uint16_t port_;
    bool fixed_port_;
    std::vector<std::string> extra_args_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

}  // namespace mxgate::test
