// Small behaviour of the config value types: printing an endpoint. Pure; never throws.
#include "proxy/config/config.hpp"

namespace mxgate::config {

std::string Endpoint::str() const {
    // RFC 3986 §3.2.2: an IPv6 literal needs brackets to keep the port apart.
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

}  // namespace mxgate::config
