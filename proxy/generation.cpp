#include "proxy/generation.hpp"

#include "filters/registry.hpp"
#include "proxy/tls/context.hpp"

namespace mxgate {

Generation::Generation(std::shared_ptr<const config::Config> c, const filters::Services& services)
    : config(std::move(c)), router(*config), chain(filters::build_chain(config->filters, services)),
      server_tls(tls::make_server_context(config->tls)) {}

}  // namespace mxgate
