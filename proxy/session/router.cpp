#include "proxy/session/router.hpp"

#include <algorithm>

#include "proxy/core/text.hpp"

namespace mxgate::session {

bool has_routing_syntax(std::string_view local) {
    // Quotes and quoted-pairs hide nothing: unquoted, "a\@b" is still a@b.
    return local.find_first_of("%!@") != std::string_view::npos;
}

Route Router::route(core::Address& address, bool trusted_client) const {
    const auto& domains = config_.domains;
    if (address.domain.empty()) {
        // <Postmaster>: deliver to the postmaster of the first served domain.
        auto first = std::find_if(domains.begin(), domains.end(),
                                  [](const auto& entry) { return entry.first != "*" && entry.first[0] != '.'; });
        if (first == domains.end()) return {nullptr, core::make_reply(550, "5.1.1", "Error: no postmaster here"), {}};
        address.local = "postmaster";
        address.domain = first->first;
    }
    std::string domain = core::ascii_lower(address.domain);
    auto found = domains.find(domain);
    // ".example.org" serves every subdomain of example.org (Postfix parent_domain_matches_subdomains style).
    for (auto dot = domain.find('.'); found == domains.end() && dot != std::string::npos;
         dot = domain.find('.', dot + 1))
        found = domains.find(domain.substr(dot));
    if (found == domains.end() && trusted_client) found = domains.find("*");
    if (found == domains.end()) {
        if (trusted_client)
            return {nullptr, core::make_reply(550, "5.4.4", "Error: no route to that domain"), {}};
        return {nullptr, core::make_reply(550, "5.7.1", "Error: relay access denied"), {}};
    }
    auto backend = config_.backends.find(found->second);
    if (!trusted_client && !backend->second.allow_untrusted_routing && has_routing_syntax(address.local))
        return {nullptr, core::make_reply(550, "5.7.1", "Error: relay access denied: routing in the local part"),
                found->first, true};
    return {&backend->second, {}, found->first};
}

}  // namespace mxgate::session
