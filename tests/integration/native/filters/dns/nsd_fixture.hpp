// Real DNS peers on loopback for resolver and filter tests: an nsd serving the
// zones a test hands it (started in the foreground, remembered by PID, stopped
// with SIGTERM), and a "silent" server that takes queries and never answers.
// Shared by the dns, dnsbl and spf tests of the integration_native_tests binary.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace mxgate::filters::dns::test {

// Binds UDP and TCP on the same free loopback port; -1 on failure.
inline int bind_udp_tcp_pair(int& udp, int& tcp) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(udp, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            ::close(udp);
            continue;
        }
        tcp = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(tcp, 16) == 0)
            return ntohs(address.sin_port);
        ::close(tcp);
        ::close(udp);
    }
    return -1;
}

inline bool tcp_connects(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

// nsd in the foreground (-d), everything in its own temp dir. Set
// MXGATE_KEEP_ZONES to keep that dir (zone files, nsd.conf, nsd.log) for debugging.
// nsd cannot take port 0 (it needs one port for both UDP and TCP), so it starts
// on a candidate port and, when another process took that port first, again on
// a new one.
class NsdServer {
public:
    struct Zone {
        std::string name;  // "bl.test", or "." for the root
        std::string text;  // zone file contents
    };
    static constexpr int max_start_attempts = 5;

    explicit NsdServer(const std::vector<Zone>& zones) {
        char pattern[] = "/tmp/mxgate-nsd-test-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        for (std::size_t n = 0; n < zones.size(); ++n) {
            // Numbered files: a zone name ("." or one with \DDD escapes) need not be a good file name.
            zone_config_ += "zone:\n  name: \"" + zones[n].name + "\"\n  zonefile: zone" + std::to_string(n) + ".zone\n";
            std::ofstream(dir_ / ("zone" + std::to_string(n) + ".zone")) << zones[n].text;
        }
        for (int attempt = 1; attempt <= max_start_attempts && !ready_; ++attempt) {
            start_on(candidate_port());
            if (ready_ || !port_was_taken()) break;  // a config or zone error: another port won't help
            std::cerr << "[nsd fixture] port " << port_ << " was taken before nsd bound it (attempt " << attempt
                      << " of " << max_start_attempts << "), retrying on another\n";
        }
    }
    ~NsdServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        if (!std::getenv("MXGATE_KEEP_ZONES")) std::filesystem::remove_all(dir_, ignored);
    }
    NsdServer(const NsdServer&) = delete;
    NsdServer& operator=(const NsdServer&) = delete;

    bool ready() const { return ready_; }
    int port() const { return port_; }
    std::string server() const { return "127.0.0.1@" + std::to_string(port_); }
    std::string log() const {
        std::ifstream in(dir_ / "nsd.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    // A port free for both UDP and TCP a moment ago: only a guess, start_on() may lose it.
    static int candidate_port() {
        int udp = -1, tcp = -1;
        const int port = bind_udp_tcp_pair(udp, tcp);
        ::close(udp);
        ::close(tcp);
        return port;
    }

    void start_on(int port) {
        using namespace std::chrono_literals;
        port_ = port;
        std::filesystem::remove(dir_ / "nsd.log");
        const auto conf = (dir_ / "nsd.conf").string();
        std::ofstream(conf) << "server:\n  ip-address: 127.0.0.1@" << port_ << "\n  do-ip6: no\n  username: \"\"\n"
                            << "  zonesdir: \"" << dir_.string() << "\"\n  pidfile: \"" << (dir_ / "nsd.pid").string()
                            << "\"\n  database: \"\"\n  zonelistfile: \"" << (dir_ / "zone.list").string()
                            << "\"\n  xfrdfile: \"" << (dir_ / "xfrd.state").string() << "\"\n  xfrdir: \""
                            << dir_.string() << "\"\n  logfile: \"" << (dir_ / "nsd.log").string()
                            << "\"\n  verbosity: 0\n  server-count: 1\n"
                            << "remote-control:\n  control-enable: no\n"
                            << zone_config_;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl("/usr/sbin/nsd", "nsd", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // nsd logs "nsd started" once it holds its sockets, so a listener of another
        // process on the same port is never mistaken for it.
        for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;
             std::this_thread::sleep_for(5ms)) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            if (log().find("nsd started") != std::string::npos && tcp_connects(port_)) {
                ready_ = true;
                return;
            }
        }
    }

    bool port_was_taken() const { return log().find("Address already in use") != std::string::npos; }

    std::filesystem::path dir_;
    std::string zone_config_;  // the zone: sections of nsd.conf
    int port_ = -1;
    pid_t pid_ = -1;
    bool ready_ = false;
};

// Reads nothing, answers nothing: UDP queries sit in the buffer, TCP connections
// complete in the backlog and are never accepted.
class SilentDnsServer {
public:
    SilentDnsServer() : port_(bind_udp_tcp_pair(udp_, tcp_)) {}
    ~SilentDnsServer() {
        ::close(udp_);
        ::close(tcp_);
    }
    SilentDnsServer(const SilentDnsServer&) = delete;
    SilentDnsServer& operator=(const SilentDnsServer&) = delete;
    std::string server() const { return "127.0.0.1@" + std::to_string(port_); }

private:
    int udp_ = -1, tcp_ = -1;
    int port_;
};

}  // namespace mxgate::filters::dns::test
