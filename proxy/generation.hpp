// One configuration generation: the config and everything built from it once
// (router, filter chain, policy, server TLS context, backend TLS contexts). Shared read-only; a reload
// builds a new one and each session keeps the one it started with (Envoy).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "filters/chain.hpp"
#include "filters/registry.hpp"
#include "policy/rules/compiled_policy.hpp"
#include "proxy/config/config.hpp"
#include "proxy/metrics/verdict_counts.hpp"
#include "proxy/session/router.hpp"

namespace mxgate {

struct Generation {
    Generation(std::shared_ptr<const config::Config> c, const filters::Services& services);

    std::shared_ptr<const config::Config> config;
    session::Router router;
    filters::Chain chain;
    // What sessions evaluate (session_rules): null without a policy file or a filter.
    std::shared_ptr<const policy::rules::CompiledPolicy> rules;
    std::unique_ptr<boost::asio::ssl::context> server_tls;  // null when no certificate
    // Backend name -> its client context (own trust store); absent when it never starts TLS.
    std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> backend_tls;
    // The state store the filters share; sessions use it for LMTP's delivery memory
    // (proxy/session/lmtp_memory.hpp). Null when nothing opened it.
    std::shared_ptr<filters::state::Store> store;
    // The policy's verdicts under this generation (counted by its sessions; docs/metrics.md).
    std::unique_ptr<metrics::VerdictCounts> verdict_counts = std::make_unique<metrics::VerdictCounts>();

    std::shared_ptr<boost::asio::ssl::context> backend_tls_for(const std::string& backend) const;
};

// The operators' policy file (config `policy.file`, compiled at load), then the
// enabled filters' default rules (policy/rules/default_rules.hpp); null when there
// is neither. Sessions and `mxgate policy test --config` evaluate the same.
std::shared_ptr<const policy::rules::CompiledPolicy> session_rules(const config::Config& config);

// Opens the state store for an LMTP route when no filter needs it (those open it
// first, and a store they cannot open is a startup error). Here a store that
// cannot be opened is logged, not fatal: each LMTP transaction then takes one
// recipient, as before multi-recipient LMTP, so answers stay exact.
void provide_lmtp_store(const config::Config& config, filters::Services& services);

// The resolver the filters share, built from the config's dns: (the daemon's, and
// `mxgate policy test --run-filters`'s); throws std::runtime_error with what is wrong.
std::shared_ptr<filters::dns::Resolver> make_resolver(const config::Config& config);

}  // namespace mxgate
