// Text syntax of the proxy's own value types: endpoints ("host:port"). The
// shared ones (durations, sizes, networks) are in proxy/core/settings/values.cpp.
#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "proxy/config/decode.hpp"
#include "proxy/config/decode_support.hpp"

namespace mxgate::config {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Endpoint> parse_endpoint(const std::string& text) {
    std::string_view view = text;
    Endpoint endpoint;
    std::string_view port;
    if (!view.empty() && view.front() == '[') {
        const auto close = view.find(']');
        if (close == std::string_view::npos || close + 1 >= view.size() || view[close + 1] != ':')
            return std::nullopt;
        endpoint.host = std::string(view.substr(1, close - 1));
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(endpoint.host, ec);
        if (ec || endpoint.host.find('%') != std::string::npos) return std::nullopt;
        port = view.substr(close + 2);
    } else {
        const auto colon = view.rfind(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        endpoint.host = std::string(view.substr(0, colon));
        if (endpoint.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
        const bool looks_numeric = std::all_of(endpoint.host.begin(), endpoint.host.end(),
                                               [](char c) { return is_digit(c) || c == '.'; });
        if (looks_numeric) {
            boost::system::error_code ec;
            boost::asio::ip::make_address_v4(endpoint.host, ec);
            if (ec) return std::nullopt;
        } else if (!settings::is_dns_name(endpoint.host)) {
            return std::nullopt;
        }
        port = view.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) return std::nullopt;
    const auto number = std::stoul(std::string(port));
    if (number > 65535) return std::nullopt;
    endpoint.port = static_cast<std::uint16_t>(number);
    return endpoint;
}

}  // namespace mxgate::config
