// Settings of the shared resolver (yaml: dns:), described once: the YAML keys are
// the member names, the defaults their initializers, so this struct is the
// documentation. The field rules are in dns_settings.cpp; UnboundResolver::create
// reports values libunbound refuses.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>

namespace mxgate::filters::dns {

struct DnsConfig {
    // Upstream recursive servers, "addr" or "addr@port" ("127.0.0.1@5353", "::1").
    // Empty: the nameservers of resolv_conf.
    std::vector<std::string> servers;
    std::string resolv_conf = "/etc/resolv.conf";
    // Zones asked directly from their authoritative servers (unbound stub-zone),
    // e.g. a DNSBL mirrored by a local rbldnsd: {"bl.example", {"127.0.0.1@5300"}}.
    struct StubZone {
        std::string zone;
        std::vector<std::string> servers;
        bool operator==(const StubZone&) const = default;
        BOOST_DESCRIBE_CLASS(StubZone, (), (zone, servers), (), ())
    };
    std::vector<StubZone> stub_zones;
    // Zones libunbound otherwise answers itself as locally served (RFC 6303: the
    // reverse zones of private ranges, 2001:db8::/32 ...) but that your servers
    // hold, e.g. "168.192.in-addr.arpa" for PTR of 192.168.0.0/16 clients.
    std::vector<std::string> transparent_local_zones;
    // Deadline per query: after it the query answers Status::timeout and is
    // cancelled in libunbound, even if unbound is still retrying.
    std::chrono::milliseconds timeout = std::chrono::seconds(5);
    // DNSSEC validation (needed later for DANE). Off: no validator, Answer::secure is false.
    bool dnssec = false;
    std::string dnssec_trust_anchor_file = "/usr/share/dns/root.key";
    // Cache (unbound msg-cache-size / rrset-cache-size, bytes).
    std::size_t cache_size = 4 * 1024 * 1024;
    std::chrono::seconds max_cache_ttl = std::chrono::hours(24);       // unbound cache-max-ttl
    std::chrono::seconds max_negative_cache_ttl = std::chrono::hours(1);  // unbound cache-max-negative-ttl
    bool operator==(const DnsConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(DnsConfig, (), (servers, resolv_conf, stub_zones, transparent_local_zones, timeout, dnssec,
                                      dnssec_trust_anchor_file, cache_size, max_cache_ttl, max_negative_cache_ttl))

}  // namespace mxgate::filters::dns
