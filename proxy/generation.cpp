#include "proxy/generation.hpp"

#include <algorithm>
#include <stdexcept>

#include "filters/dns/unbound_resolver.hpp"
#include "filters/registry.hpp"
#include "policy/rules/default_rules.hpp"
#include "proxy/log.hpp"
#include "proxy/tls/context.hpp"

namespace mxgate {

Generation::Generation(std::shared_ptr<const config::Config> c, const filters::Services& services)
    : config(std::move(c)), router(*config), chain(filters::build_chain(config->filters, services)),
      rules(session_rules(*config)), server_tls(tls::make_server_context(config->tls)), store(services.store) {
    for (const auto& [name, backend] : config->backends)
        if (auto context = tls::make_backend_context(backend)) backend_tls.emplace(name, std::move(context));
}

std::shared_ptr<const policy::rules::CompiledPolicy> session_rules(const config::Config& config) {
    const auto defaults = filters::default_rules(config.filters);
    return policy::rules::with_default_rules(config.policy.compiled, defaults);
}

std::shared_ptr<boost::asio::ssl::context> Generation::backend_tls_for(const std::string& backend) const {
    const auto found = backend_tls.find(backend);
    return found == backend_tls.end() ? nullptr : found->second;
}

void provide_lmtp_store(const config::Config& config, filters::Services& services) {
    if (services.store) return;
    const bool lmtp_route = std::any_of(config.backends.begin(), config.backends.end(), [](const auto& entry) {
        return entry.second.kind == config::BackendKind::lmtp;
    });
    if (!lmtp_route) return;
    try {
        services.store = filters::state::make_store(config.state);
    } catch (const std::runtime_error& e) {
        log::warn(log::Line("lmtp_store_unavailable").add("error", e.what())
                      .add("effect", "one recipient per LMTP transaction"));
    }
}

std::shared_ptr<filters::dns::Resolver> make_resolver(const config::Config& config) {
    auto created = filters::dns::UnboundResolver::create(config.dns);
    if (!created.resolver) {
        std::string errors;
        for (const auto& e : created.errors) errors += (errors.empty() ? "" : "; ") + e;
        throw std::runtime_error(errors);
    }
    return std::move(created.resolver);
}

}  // namespace mxgate
