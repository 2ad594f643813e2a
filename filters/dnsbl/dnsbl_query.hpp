// DNS list queries as pure functions (RFC 5782): the name to ask for an address
// or a domain, and what an A answer means for one list. No I/O, no Asio
// operations; unit tested by case tables. Unusable input (a HELO that is not a
// domain name, a name too long for DNS) is std::nullopt: nothing is queried.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "filters/dnsbl/dnsbl_config.hpp"
#include "proxy/core/address.hpp"

namespace mxgate::filters::dnsbl {

// A v4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address it maps.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

// RFC 5782 §2.1: "2.0.0.127" for 127.0.0.2; §2.4: 32 nibbles, least significant
// first, for IPv6 ("1.0.0...8.b.d.0.1.0.0.2" for 2001:db8::1). No zone, no dot.
std::string reversed_address(const boost::asio::ip::address& address);

// The PTR question for an address: "<reversed>.in-addr.arpa" or "<reversed>.ip6.arpa".
std::string reverse_lookup_name(const boost::asio::ip::address& address);

// "<reversed>.<zone>".
std::string ip_query_name(const boost::asio::ip::address& address, std::string_view zone);

// A domain as DNS lists are asked about it: lower case, without a trailing dot,
// LDH/underscore labels of 1..63 octets, at least two labels. Address literals
// ("[192.0.2.1]"), bare words and non-ASCII (not A-labels) are nullopt.
std::optional<std::string> normalize_domain(std::string_view domain);

// The domain of a MAIL FROM path ("alice@Example.ORG" -> "example.org",
// optional <>); nullopt for the null sender and for unusable domains.
std::optional<std::string> sender_domain(const core::Address& sender);

// RFC 5782 §3: "<domain>.<zone>"; nullopt when the domain is unusable or the
// whole name would exceed 253 octets.
std::optional<std::string> domain_query_name(std::string_view domain, std::string_view zone);

// The parts of a DnsList that matching needs, parsed once per config generation.
struct Matcher {
    std::vector<std::uint32_t> codes;  // parsed DnsList::codes
    std::uint32_t bitmask = 0;
    static std::optional<Matcher> compile(const DnsList& list);  // nullopt: a code is not an IPv4 address
};

// What one A answer of a list says.
struct MatchResult {
    enum class Kind : std::uint8_t {
        listed,      // at least one answer matched the codes or bitmask
        not_listed,  // answers in 127.0.0.0/8, none matched (or the caller saw NXDOMAIN)
        broken,      // no usable answer: only addresses outside 127.0.0.0/8 (RFC 5782 §2.1), or unparsable
        refused,     // the list answered with an error code in 127.255.255.0/24 (Spamhaus: open
                     // resolver, query limit exceeded), which is no statement about the client
    };
    Kind kind = Kind::not_listed;
    std::vector<std::string> matched;   // the answers that matched, sorted ("127.0.0.2", "127.0.0.4")
    std::vector<std::string> ignored;   // answers outside 127.0.0.0/8 or unparsable
};

MatchResult match_answers(const std::vector<std::string>& records, const Matcher& matcher);

// "127.0.0.2,127.0.0.4"
std::string join(const std::vector<std::string>& items, std::string_view separator = ",");


}  // namespace mxgate::filters::dnsbl
