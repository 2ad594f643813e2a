// Test helpers for the state store and its users: run a coroutine to the end on
// a test io_context, and a real redis-server on a free loopback port that the
// test starts, remembers by PID and stops (never a system service).
#pragma once

#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <hiredis/hiredis.h>

extern char** environ;

namespace mxgate::test {

template <class T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
    auto done = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.restart();
        io.run_for(std::chrono::milliseconds(2));
    }
    return done.get();
}

inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

class RedisServer {
public:
    explicit RedisServer(std::uint16_t port = free_port(), std::vector<std::string> extra_args = {})
        : port_(port), extra_args_(std::move(extra_args)) {}
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }

    // Starts redis-server and waits until it answers PING (up to 5 s).
    bool start() {
        const std::string port = std::to_string(port_);
        std::vector<std::string> args{"/usr/bin/redis-server", "--port",       port,  "--bind", "127.0.0.1",
                                      "--save",                "",             "--appendonly", "no",
                                      "--daemonize",           "no",           "--loglevel",  "warning",
                                      "--dir",                 std::filesystem::temp_directory_path().string()};
        args.insert(args.end(), extra_args_.begin(), extra_args_.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            return false;
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            if (ping()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
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

    bool ping() const {
        timeval tv{0, 200000};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        if (!c || c->err) {
            if (c) redisFree(c);
            return false;
        }
        redisSetTimeout(c, tv);
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        // A NOAUTH error also proves the server is up (requirepass tests).
        const bool ok = r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR);
        if (r) freeReplyObject(r);
        redisFree(c);
        return ok;
    }

private:
    std::uint16_t port_;
    std::vector<std::string> extra_args_;
    pid_t pid_ = -1;
};

}  // namespace mxgate::test
