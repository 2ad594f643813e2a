// What the policy engine reads about a transaction: plain facts the session fills
// in as the SMTP stages go by, plus the findings of every stage so far. Nothing
// here refers to a socket, a session or a filter class, so `policy test` and the
// unit tests can build facts by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "proxy/core/address.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::policy::rules {

struct HeaderField {
    std::string name;   // as written ("Subject")
    std::string value;  // after the colon, unfolded or not: regexes see it as given
};

// "Name: value" with or without its CRLF, as `header` conditions read it (RFC 5322
// §2.2: the name is printable ASCII without ':'; blanks before the colon are the
// obsolete syntax of §4.5), or nullopt. The session and `policy test` both use it.
std::optional<HeaderField> parse_header_field(std::string_view field);

struct Facts {
    std::optional<boost::asio::ip::address> client_ip;  // nullopt for XCLIENT ADDR=[UNAVAILABLE]
    std::string rdns;                                   // the client's reverse-DNS name ("" when none)
    bool fcrdns = false;                                // rdns maps back to client_ip
    std::string helo;                                   // the HELO/EHLO argument
    bool tls = false;
    std::string tls_version;                     // "1.2", "1.3"; "" without TLS
    bool trusted = false;                        // client in trusted_networks
    std::optional<core::Address> sender;         // set from MAIL FROM on (empty Address for "<>")
    std::span<const core::Address> recipients;   // accepted so far
    std::optional<core::Address> recipient;      // the one being asked about, at RCPT only
    std::uint64_t message_size = 0;              // bytes, end_of_data only
    std::span<const HeaderField> header_fields;  // end_of_data only
    std::span<const core::Finding> findings;     // every finding of the transaction so far
    std::span<const core::Finding> stage_findings;  // what this stage's filters found (its default rules read these)
    long score = 0;                              // what earlier stages' rules added (Decision::score of the last stage)
};

}  // namespace mxgate::policy::rules
