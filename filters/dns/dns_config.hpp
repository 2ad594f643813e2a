// Settings of the shared resolver (yaml: dns:). Defaults are the member
// initializers, so this struct is the documentation. No YAML here: the config
// decoder fills it; UnboundResolver::create reports values libunbound refuses.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

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

}  // namespace mxgate::filters::dns
