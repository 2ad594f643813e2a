// What the quarantine knows of one message besides its content: the metadata
// side file (<directory>/meta/<id>.json, Boost.JSON), and the filters of
// `mxgate quarantine list`. Pure functions; parse_item() reads a file mxgate
// wrote, but its strings came from clients (sender, HELO), so it is fuzzed and
// answers nullopt to anything malformed, never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/address.hpp"

namespace mxgate::quarantine {

struct QuarantinedRecipient {
    std::string address;     // as accepted at RCPT (local@domain)
    std::string backend;     // the route's backend when it was quarantined
    bool delivered = false;  // a release delivered it already (a later retry skips it)

    bool operator==(const QuarantinedRecipient&) const = default;
};

struct Item {
    std::string id;               // safe as a path component (valid_id)
    std::int64_t received = 0;    // Unix seconds
    std::string session;          // the session id of the transaction log line
    std::string client;           // client IP address ("unknown" after XCLIENT ADDR=[UNAVAILABLE])
    std::string helo;
    std::string sender;           // reverse-path without <>; empty = null sender
    std::vector<std::string> mail_params;  // "SMTPUTF8", "BODY=8BITMIME": what a release must say again
    std::vector<QuarantinedRecipient> recipients;
    std::string rule;             // "filter.dmarc"
    std::string reason;           // the finding's reason
    std::uint64_t size = 0;       // bytes of the stored message

    bool operator==(const Item&) const = default;
};

// An id mxgate made: letters, digits, '.', '-', at most 80, not starting with '.'.
bool valid_id(std::string_view id);
// "<seconds>.<micros>.<pid>.<counter>.<random hex>": unique on this host.
std::string new_id();

std::string serialize_item(const Item& item);
std::optional<Item> parse_item(std::string_view json);

// "local@domain" as stored back into an address (split at the last '@').
core::Address address_of(std::string_view text);

// `quarantine list` filters; empty or 0 = any. Text matches are case-insensitive substrings.
struct ItemFilter {
    std::int64_t since = 0;   // received at or after (Unix seconds)
    std::int64_t until = 0;   // received before
    std::string sender;
    std::string recipient;
    std::string reason;       // in the rule or the reason
};
bool matches(const Item& item, const ItemFilter& filter);

// "2026-12-05", "2026-12-05T14:03:00" (UTC, 'Z' optional) or Unix seconds.
std::optional<std::int64_t> parse_time(std::string_view text);
std::string format_time(std::int64_t unix_seconds);  // "2026-12-05T14:03:00Z"

}  // namespace mxgate::quarantine
