#include "proxy/listener.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/address_v4.hpp>

#include "filters/client_network.hpp"

namespace mxgate {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string connection_limit_key(const asio::ip::address& client, const config::Limits& limits) {
    return filters::client_network(client, limits.connection_limit_ipv4_prefix, limits.connection_limit_ipv6_prefix);
}

bool ConnectionLimiter::try_acquire(const std::string& client_key, const config::Limits& limits) {
    std::lock_guard lock(mutex_);
    if (total_ >= limits.max_connections) return false;
    unsigned& count = per_network_[client_key];
    if (count >= limits.max_connections_per_ip) {
        if (count == 0) per_network_.erase(client_key);
        return false;
    }
    ++count;
    ++total_;
    return true;
}

void ConnectionLimiter::release(const std::string& client_key) {
    std::lock_guard lock(mutex_);
    auto it = per_network_.find(client_key);
    if (it == per_network_.end()) return;
    if (--it->second == 0) per_network_.erase(it);
    --total_;
}

unsigned ConnectionLimiter::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

tcp::endpoint resolve_listen_endpoint(asio::io_context& io, const config::Endpoint& endpoint) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(endpoint.host, ec);
    if (!ec) return {address, endpoint.port};
    tcp::resolver resolver(io);
    auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port));
    return results.begin()->endpoint();
}

tcp::acceptor bind_acceptor(asio::io_context& io, const tcp::endpoint& at) {
    tcp::acceptor acceptor(io);
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        throw boost::system::system_error(errno, boost::system::system_category(), "SO_REUSEPORT");
    acceptor.bind(at);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

asio::ip::address normalize(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return address;
}

}  // namespace mxgate
