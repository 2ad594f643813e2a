// The value types settings are made of and their text syntax: durations, byte
// sizes, networks, host names. Pure functions over strings; malformed text gives
// nullopt, never an exception. Shared by the proxy's sections and every filter's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace mxgate::settings {

using Duration = std::chrono::milliseconds;  // YAML: "300ms", "30s", "5m", "1h"
using namespace std::chrono_literals;

struct ByteSize {  // YAML: "1000", "64KiB", "10MiB", "1GiB", also "kB"/"MB" (powers of 1000)
    std::uint64_t bytes = 0;

    bool operator==(const ByteSize&) const = default;  // reload: what changed
};

struct Network {            // YAML: "10.0.0.0/8", "::1/128", "192.0.2.7" (= /32)
    boost::asio::ip::address address;
    unsigned prefix_length = 0;
    bool contains(const boost::asio::ip::address& a) const;  // v4-mapped v6 matches v4
    std::string str() const;                                  // "10.0.0.0/8"

    bool operator==(const Network&) const = default;  // reload: what changed
};

// "30s" -> Duration; "10MiB" -> bytes; nullopt when malformed.
std::optional<Duration> parse_duration(const std::string& text);
std::optional<ByteSize> parse_byte_size(const std::string& text);
// "10.0.0.0/8", "::1/128", "192.0.2.7" (= /32) -> Network; nullopt when malformed
// or when bits after the prefix are set ("10.0.0.1/8").
std::optional<Network> parse_network(const std::string& text);
// Like parse_network() but keeps host bits ("10.0.0.1/8"), so a decoder can
// say what is wrong; masked() clears them.
std::optional<Network> parse_network_with_host_bits(const std::string& text);
Network masked(const Network& network);

// RFC 1035 §2.3.1 host names (letters, digits, hyphens; labels of 1..63; 253 total),
// case-insensitive. Also accepts "xn--" labels since they are plain LDH.
bool is_dns_name(std::string_view name);

// Duration and size formatting for the dump: the largest exact unit.
std::string format_duration(Duration d);
std::string format_byte_size(ByteSize size);

}  // namespace mxgate::settings
