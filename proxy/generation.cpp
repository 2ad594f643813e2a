#include "proxy/generation.hpp"

#include "filters/registry.hpp"
#include "proxy/tls/context.hpp"

namespace mxgate {

Generation::Generation(std::shared_ptr<const config::Config> c, const filters::Services& services)
    : config(std::move(c)), router(*config), chain(filters::build_chain(config->filters, services)),
      server_tls(tls::make_server_context(config->tls)) {
    for (const auto& [name, backend] : config->backends)
        if (auto context = tls::make_backend_context(backend)) backend_tls.emplace(name, std::move(context));
}

std::shared_ptr<boost::asio::ssl::context> Generation::backend_tls_for(const std::string& backend) const {
    const auto found = backend_tls.find(backend);
    return found == backend_tls.end() ? nullptr : found->second;
}

}  // namespace mxgate
