#include "proxy/session/router.hpp"

#include <algorithm>

#include "proxy/core/text.hpp"

namespace mxgate::session {

namespace {

Route refused(Route route, core::Reply refusal) {
    route.refusal = std::move(refusal);
    return route;
}

}  // namespace

bool has_routing_syntax(std::string_view local) {
    // Quotes and quoted-pairs hide nothing: unquoted, "a\@b" is still a@b.
    return local.find_first_of("%!@") != std::string_view::npos;
}

Route Router::route(const core::Address& address, bool trusted_client) const {
    const auto& domains = config_.domains;
    Route route;
    route.recipient = address;
    if (address.domain.empty()) {
        // <Postmaster>: deliver to the postmaster of the first served domain.
        auto first = std::find_if(domains.begin(), domains.end(),
                                  [](const auto& entry) { return entry.first != "*" && entry.first[0] != '.'; });
        if (first == domains.end())
            return refused(std::move(route), core::make_reply(550, "5.1.1", "Error: no postmaster here"));
        route.recipient.local = "postmaster";
        route.recipient.domain = first->first;
    }
    std::string domain = core::ascii_lower(route.recipient.domain);
    auto found = domains.find(domain);
    // ".example.org" serves every subdomain of example.org (Postfix parent_domain_matches_subdomains style).
    for (auto dot = domain.find('.'); found == domains.end() && dot != std::string::npos;
         dot = domain.find('.', dot + 1))
        found = domains.find(domain.substr(dot));
    if (found == domains.end() && trusted_client) found = domains.find("*");
    if (found == domains.end()) {
        if (trusted_client)
            return refused(std::move(route), core::make_reply(550, "5.4.4", "Error: no route to that domain"));
        return refused(std::move(route), core::make_reply(550, "5.7.1", "Error: relay access denied"));
    }
    const config::Backend& backend = config_.backends.find(found->second)->second;
    if (!trusted_client && !backend.allow_untrusted_routing && has_routing_syntax(route.recipient.local)) {
        route.untrusted_routing = true;
        return refused(std::move(route),
                       core::make_reply(550, "5.7.1", "Error: relay access denied: routing in the local part"));
    }
    route.backend = &backend;
    return route;
}

}  // namespace mxgate::session
