// A real nsd on a free loopback port serving the zones a test hands it (started
// in the foreground, remembered by PID, stopped with SIGTERM), and a "dead"
// server that takes queries and never answers. Same approach as
// tests/unit/filters/dns/unbound_resolver_test.cpp, with the zones as parameters.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace mxgate::test {

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

class NsdServer {
public:
    struct Zone {
        std::string name;  // "bl.test"
        std::string text;  // zone file contents
    };
    explicit NsdServer(const std::vector<Zone>& zones) {
        using namespace std::chrono_literals;
        char pattern[] = "/tmp/mxgate-dnsbl-test-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        int udp = -1, tcp = -1;
        port_ = bind_udp_tcp_pair(udp, tcp);
        ::close(udp);  // nsd binds the port itself; the race with another process is tiny
        ::close(tcp);
        const auto conf = dir_ / "nsd.conf";
        std::ofstream out(conf);
        out << "server:\n  ip-address: 127.0.0.1@" << port_ << "\n  do-ip6: no\n  username: \"\"\n"
            << "  zonesdir: \"" << dir_.string() << "\"\n  pidfile: \"" << (dir_ / "nsd.pid").string()
            << "\"\n  database: \"\"\n  zonelistfile: \"" << (dir_ / "zone.list").string() << "\"\n  xfrdfile: \""
            << (dir_ / "xfrd.state").string() << "\"\n  xfrdir: \"" << dir_.string() << "\"\n  logfile: \""
            << (dir_ / "nsd.log").string() << "\"\n  verbosity: 0\n  server-count: 1\n"
            << "remote-control:\n  control-enable: no\n";
        for (const auto& zone : zones) {
            std::ofstream(dir_ / (zone.name + ".zone")) << zone.text;
            out << "zone:\n  name: " << zone.name << "\n  zonefile: " << zone.name << ".zone\n";
        }
        out.close();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl("/usr/sbin/nsd", "nsd", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;
             std::this_thread::sleep_for(20ms)) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            if (tcp_connects(port_)) {
                ready_ = true;
                break;
            }
        }
    }
    ~NsdServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    NsdServer(const NsdServer&) = delete;
    NsdServer& operator=(const NsdServer&) = delete;
    bool ready() const { return ready_; }
    std::string server() const { return "127.0.0.1@" + std::to_string(port_); }

private:
    std::filesystem::path dir_;
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

}  // namespace mxgate::test
