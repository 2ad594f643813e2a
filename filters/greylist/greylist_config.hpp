// Settings of greylisting (yaml: filters.greylist:) and of the connection-stage
// rate limits (yaml: filters.rate_limit:), each described once: the YAML keys are
// the member names, the defaults their initializers (common greylisting practice,
// RFC 6647 §6). The field rules and checks are in greylist_registration.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/describe/class.hpp>

#include "proxy/core/settings/values.hpp"

namespace mxgate::filters::greylist {

using namespace std::chrono_literals;
using Seconds = std::chrono::seconds;

struct GreylistConfig {                                 // yaml: filters.greylist:
    bool enabled = false;
    unsigned ipv4_prefix = 24;                          // retries from a pool of outbound hosts share a key
    unsigned ipv6_prefix = 64;
    Seconds delay = 5min;                               // a retry earlier than this is deferred again
    Seconds window = 24h;                               // a retry later than this starts a new round
    Seconds pass_lifetime = 36 * 24h;                   // a passed triplet is remembered this long after its last pass
    unsigned auto_allow_after = 5;                      // passed deliveries per network + sender domain; 0 = off
    std::vector<settings::Network> allow_networks;                   // never greylisted
    std::vector<std::string> allow_sender_domains;      // and their subdomains
    std::vector<std::string> allow_recipient_domains;   // and their subdomains
    bool skip_spf_pass = false;                         // an SPF pass for MAIL FROM skips greylisting
    bool fail_open = true;                              // store unavailable: pass (true) or temperror (false)
    bool operator==(const GreylistConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(GreylistConfig, (), (enabled, ipv4_prefix, ipv6_prefix, delay, window, pass_lifetime,
                                           auto_allow_after, allow_networks, allow_sender_domains,
                                           allow_recipient_domains, skip_spf_pass, fail_open))

struct RateLimitConfig {                                // yaml: filters.rate_limit:
    bool enabled = false;
    std::uint64_t max_connections_per_window = 60;      // per client network at connect; 0 = off -> 421
    std::uint64_t max_messages_per_window = 120;        // per client network at MAIL FROM; 0 = off -> 451
    Seconds window = 60s;                               // fixed windows aligned to multiples of this
    unsigned ipv4_prefix = 32;                          // per address
    unsigned ipv6_prefix = 64;                          // a single IPv6 host usually owns a /64
    bool fail_open = true;                              // store unavailable: pass (true) or temperror (false)
    bool operator==(const RateLimitConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(RateLimitConfig, (), (enabled, max_connections_per_window, max_messages_per_window, window,
                                            ipv4_prefix, ipv6_prefix, fail_open))

}  // namespace mxgate::filters::greylist
