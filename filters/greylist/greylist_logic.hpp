// The pure part of greylisting (RFC 6647): key building (client network,
// case-folded sender and recipient), allow-list checks, and the decision on one
// triplet given its stored record and the time. No I/O, no clock, no store:
// greylist_filter.cpp reads and writes records, this file decides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "filters/client_network.hpp"
#include "filters/greylist/greylist_config.hpp"
#include "filters/state/store.hpp"
#include "proxy/core/address.hpp"

namespace mxgate::filters::greylist {

using state::GreylistRecord;
using state::TimePoint;

struct GreylistRequest {
    std::optional<boost::asio::ip::address> client;  // nullopt = unknown: not greylisted
    bool trusted = false;         // client in trusted_networks
    core::Address sender;         // empty() = <>
    core::Address recipient;
    bool spf_pass = false;        // an SPF pass for the MAIL FROM identity
};

std::string mail_domain(const core::Address& address);  // lower-cased; "" for <> and <Postmaster>
bool domain_matches(std::string_view domain, std::string_view entry);  // entry or a subdomain of it

std::string triplet_key(std::string_view network, std::string_view sender, std::string_view recipient);
std::string auto_allow_key(std::string_view network, std::string_view sender_domain);

// Why greylisting does not apply; nullopt = it applies.
std::optional<std::string_view> skip_reason(const GreylistConfig& config, const GreylistRequest& request);

enum class Action { defer, pass };

struct TripletDecision {
    Action action = Action::defer;
    GreylistRecord next;          // what to store (expires_at set)
    Seconds retry_after{0};       // defer: earliest useful retry
    bool newly_passed = false;    // the first pass after the delay: counts toward auto-allow
    std::string_view why;         // "first attempt", "retry too early", "retry after delay", "known triplet"
};

// `record` is the stored triplet (empty: none, or expired).
TripletDecision decide_triplet(const std::optional<GreylistRecord>& record, TimePoint now,
                               const GreylistConfig& config);

// Auto-allow: a network + sender domain with `auto_allow_after` passed deliveries.
bool auto_allowed(const std::optional<GreylistRecord>& record, const GreylistConfig& config);
// The auto-allow record after one more passed delivery.
GreylistRecord count_pass(const std::optional<GreylistRecord>& record, TimePoint now, const GreylistConfig& config);

}  // namespace mxgate::filters::greylist
