#include "proxy/generation.hpp"

#include "filters/registry.hpp"
#include "proxy/tls/context.hpp"

namespace mxgate {

Generation::Generation(std::shared_ptr<const config::Config> c)
    : config(std::move(c)), router(*config), chain(filters::build_chain()),
      server_tls(tls::make_server_context(config->tls)) {}

}  // namespace mxgate
