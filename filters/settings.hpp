// Which filters run and with what settings (yaml: filters:), plus nothing else:
// the shared services they use (resolver: dns:, store: state:) are configured
// beside this. Plain structs; proxy/config decodes the YAML into them.
#pragma once

#include <chrono>

#include "filters/dnsbl/dnsbl_config.hpp"
#include "filters/greylist/greylist_config.hpp"
#include "filters/helo/helo_config.hpp"
#include "filters/spf/spf_config.hpp"

namespace mxgate::filters {

struct GreylistSettings {                  // yaml: filters.greylist:
    bool enabled = false;
    greylist::GreylistConfig config;       // the other keys of the section
    bool operator==(const GreylistSettings&) const = default;
};

struct RateLimitSettings {                 // yaml: filters.rate_limit:
    bool enabled = false;
    greylist::RateLimitConfig config;
    bool operator==(const RateLimitSettings&) const = default;
};

struct SpfSettings {                       // yaml: filters.spf:
    bool enabled = false;
    spf::SpfConfig config;
    bool operator==(const SpfSettings&) const = default;
};

struct DnsblSettings {                     // yaml: filters.dnsbl:
    bool enabled = false;
    dnsbl::DnsblConfig config;
    bool operator==(const DnsblSettings&) const = default;
};

struct FilterSettings {                    // yaml: filters:
    // The chain's deadline per stage, over every filter's own timeout: a filter
    // still running then is cancelled and reported as a temperror (chain.hpp).
    std::chrono::milliseconds stage_timeout = std::chrono::seconds(30);
    RateLimitSettings rate_limit;
    helo::HeloConfig helo;
    DnsblSettings dnsbl;
    SpfSettings spf;
    GreylistSettings greylist;
    bool operator==(const FilterSettings&) const = default;

    // Greylisting and rate limits keep state; without them no store is opened.
    bool need_state() const { return greylist.enabled || rate_limit.enabled; }
    // SPF and the DNS lists ask DNS; without them no resolver is started.
    bool need_resolver() const { return spf.enabled || dnsbl.enabled; }
};

}  // namespace mxgate::filters
