// Listening sockets and the connection limits that apply before a session
// starts (limits.max_connections, limits.max_connections_per_ip, counted per
// client network: limits.connection_limit_ipv4/ipv6_prefix). Every worker
// thread binds its own acceptor to each address with SO_REUSEPORT, so the kernel
// spreads connections and no accept lock exists. Bind errors throw system_error.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/config/config.hpp"

namespace mxgate {

// The key a client's connections count under: its network at the configured
// prefix ("192.0.2.7/32", "2001:db8:1:2::/64"), so one IPv6 host cannot take
// all of max_connections by using a new address of its /64 for each connection.
std::string connection_limit_key(const boost::asio::ip::address& client, const config::Limits& limits);

// Process-wide counts of open client connections, shared by all workers.
// Release with the key acquired, so a reload that changes a prefix cannot
// unbalance the counts.
class ConnectionLimiter {
public:
    bool try_acquire(const std::string& client_key, const config::Limits& limits);
    void release(const std::string& client_key);
    unsigned total() const;

private:
    mutable std::mutex mutex_;
    unsigned total_ = 0;
    std::unordered_map<std::string, unsigned> per_network_;
};

// Resolves `endpoint` (a literal address or a host name) to one TCP endpoint.
boost::asio::ip::tcp::endpoint resolve_listen_endpoint(boost::asio::io_context& io, const config::Endpoint& endpoint);

// An acceptor bound with SO_REUSEPORT and listening.
boost::asio::ip::tcp::acceptor bind_acceptor(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at);

// Clients reached via an IPv4-mapped IPv6 socket are IPv4 clients.
boost::asio::ip::address normalize(const boost::asio::ip::address& address);

}  // namespace mxgate
