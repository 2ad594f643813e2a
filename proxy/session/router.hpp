// Chooses the backend for a recipient from config `domains`, and enforces relay
// control: a domain we do not serve is refused (550 5.7.1) unless the client is
// in trusted_networks and a "*" route exists; so is a local part with routing
// syntax from an untrusted client, unless its backend allows it. Pure code; the
// RCPT rules of sequencing and limits are SessionState's (on_rcpt_routed).
#pragma once

#include <string>
#include <string_view>

#include "proxy/config/config.hpp"
#include "proxy/smtp/command.hpp"
#include "proxy/core/reply.hpp"

namespace mxgate::session {

struct Route {
    const config::Backend* backend = nullptr;  // set when routed
    core::Reply refusal;                       // set when not
    bool untrusted_routing = false;            // refused for routing syntax in the local part
    // The address to deliver to, as given but for <Postmaster>, which becomes
    // postmaster@<first served domain> (RFC 5321 §4.5.1 requires accepting it without a domain).
    core::Address recipient;
};

// True when a local part asks for onward routing: '%' (percent hack), '!' (bang
// path) or, quoted, '@' (Postfix's test for allow_untrusted_routing). `local` as
// written: a quoted-string with its quotes and backslashes.
bool has_routing_syntax(std::string_view local);

class Router {
public:
    explicit Router(const config::Config& config) : config_(config) {}
    Route route(const core::Address& address, bool trusted_client) const;

private:
    const config::Config& config_;
};

}  // namespace mxgate::session
