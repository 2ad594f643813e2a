// Settings of the DNS list checks (yaml: filters.dnsbl:) and of forward-confirmed
// reverse DNS (yaml: filters.dnsbl.fcrdns:), each described once: the YAML keys
// are the member names, the defaults their initializers, so this header is the
// documentation. The field rules are in dnsbl_registration.cpp; after decoding,
// validate() returns every problem as a "filters.dnsbl.lists[2].codes: ..." message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

namespace mxgate::filters::dnsbl {

using namespace std::chrono_literals;

// What a list is keyed by (RFC 5782 §2: IP address lists; §3: domain name lists).
enum class ListType : std::uint8_t {
    ip,             // the client address: reversed octets, or 32 reversed nibbles for IPv6 (§2.4)
    helo,           // the HELO/EHLO name (address literals are not queried)
    sender_domain,  // the domain of MAIL FROM (<> is not queried)
    rdns,           // the client's forward-confirmed reverse DNS name (no confirmed name: not queried)
};
BOOST_DESCRIBE_ENUM(ListType, ip, helo, sender_domain, rdns)

struct DnsList {                      // yaml: filters.dnsbl.lists[]
    std::string name;                 // finding "dnsbl.<name>", or "dnswl.<name>" when allow is set
    std::string zone;                 // "zen.spamhaus.org", "list.dnswl.org", "dbl.spamhaus.org"
    ListType type = ListType::ip;
    bool allow = false;               // a DNSWL: being listed is good (outcome pass instead of fail)
    // The A answers that count as "listed", as dotted quads ("127.0.0.2"). Empty:
    // see bitmask; both empty: any answer in 127.0.0.0/8 counts (RFC 5782 §2.1).
    std::vector<std::string> codes;
    // Used when codes is empty and this is not 0: an answer counts when
    // (answer as a 32-bit number) & bitmask != 0, as multi-lists such as SURBL
    // encode their sub-lists (bitmask 0x04 = bit 2 of the last octet).
    std::uint32_t bitmask = 0;
    int weight = 1;                   // added up by policy when listed; negative for allow lists
    std::chrono::milliseconds timeout = 5s;  // budget of this list per check (dns.timeout also applies)
    bool ipv6 = true;                 // ip lists: also query for IPv6 clients (§2.4); off for IPv4-only lists
    bool fetch_reason = true;         // when listed, read the TXT record (§2.1) into the finding's reason
    bool operator==(const DnsList&) const = default;
};
BOOST_DESCRIBE_STRUCT(DnsList, (), (name, zone, type, allow, codes, bitmask, weight, timeout, ipv6, fetch_reason))

struct FcrdnsConfig {                          // yaml: filters.dnsbl.fcrdns:
    bool enabled = true;                       // emit the "fcrdns" finding at connect
    std::chrono::milliseconds timeout = 5s;    // PTR plus the forward lookups, all together
    std::size_t max_names = 10;                // PTR names checked at most (a hostile PTR set can be large)
    bool operator==(const FcrdnsConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(FcrdnsConfig, (), (enabled, timeout, max_names))

struct DnsblConfig {                  // yaml: filters.dnsbl:
    bool enabled = false;
    std::vector<DnsList> lists;       // checked concurrently per stage, each on its own budget
    FcrdnsConfig fcrdns;
    bool skip_trusted = true;         // no DNS list queries for clients in trusted_networks
    // Each RCPT is refused (554 5.7.1) once the weights of the lists the client is
    // listed on add up to this (allow lists count negative). Decided at RCPT, like
    // Postfix's smtpd_delay_reject, so the log shows the envelope. 0: report only.
    int reject_score = 1;
    bool operator==(const DnsblConfig&) const = default;
};
// In --check-config order.
BOOST_DESCRIBE_STRUCT(DnsblConfig, (), (enabled, skip_trusted, reject_score, lists, fcrdns))

// Every problem of the settings, each prefixed with its key; empty when usable.
std::vector<std::string> validate(const DnsblConfig& config);

}  // namespace mxgate::filters::dnsbl
