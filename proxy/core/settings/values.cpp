// Text syntax of the settings value types (values.hpp).
#include "proxy/core/settings/values.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

namespace mxgate::settings {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Leading decimal digits of `text` as a number; nullopt when there are none or
// they overflow. `rest` gets what follows, with spaces before a unit skipped.
std::optional<std::uint64_t> leading_number(std::string_view text, std::string_view& rest) {
    std::size_t i = 0;
    std::uint64_t value = 0;
    while (i < text.size() && is_digit(text[i])) {
        const auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
        ++i;
    }
    if (i == 0) return std::nullopt;
    while (i < text.size() && text[i] == ' ') ++i;
    rest = text.substr(i);
    return value;
}

std::optional<std::uint64_t> checked_multiply(std::uint64_t value, std::uint64_t factor) {
    if (factor != 0 && value > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
    return value * factor;
}

}  // namespace

std::optional<Duration> parse_duration(const std::string& text) {
    std::string_view unit;
    const auto value = leading_number(text, unit);
    if (!value) return std::nullopt;
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> units{{
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}};
    for (const auto& [name, factor] : units) {
        if (unit != name) continue;
        const auto ms = checked_multiply(*value, factor);
        if (!ms || *ms > static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max())) return std::nullopt;
        return Duration{static_cast<Duration::rep>(*ms)};
    }
    return std::nullopt;  // no unit, or an unknown one: units are required
}

std::optional<ByteSize> parse_byte_size(const std::string& text) {
    std::string_view unit;
    const auto value = leading_number(text, unit);
    if (!value) return std::nullopt;
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> units{{
        {"", 1}, {"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
        {"kB", 1'000}, {"MB", 1'000'000}, {"GB", 1'000'000'000}}};
    if (unit.empty() && text.back() == ' ') return std::nullopt;  // "10 " is not a size
    for (const auto& [name, factor] : units) {
        if (unit != name) continue;
        const auto bytes = checked_multiply(*value, factor);
        if (!bytes) return std::nullopt;
        return ByteSize{*bytes};
    }
    return std::nullopt;
}

std::optional<Network> parse_network(const std::string& text) {
    auto network = parse_network_with_host_bits(text);
    if (!network || masked(*network).address != network->address) return std::nullopt;
    return network;
}

std::optional<Network> parse_network_with_host_bits(const std::string& text) {
    const auto slash = text.find('/');
    const std::string address_text = text.substr(0, slash);
    if (address_text.find('%') != std::string::npos) return std::nullopt;  // no scope ids
    boost::system::error_code ec;
    Network network;
    network.address = boost::asio::ip::make_address(address_text, ec);
    if (ec) return std::nullopt;
    const unsigned bits = network.address.is_v4() ? 32 : 128;
    network.prefix_length = bits;
    if (slash != std::string::npos) {
        const std::string_view prefix = std::string_view(text).substr(slash + 1);
        if (prefix.empty() || prefix.size() > 3 || !std::all_of(prefix.begin(), prefix.end(), is_digit))
            return std::nullopt;
        network.prefix_length = static_cast<unsigned>(std::stoul(std::string(prefix)));
        if (network.prefix_length > bits) return std::nullopt;
    }
    return network;
}

Network masked(const Network& network) {
    auto clear = [&](auto bytes) {
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            const std::size_t first_bit = i * 8;
            if (first_bit + 8 <= network.prefix_length) continue;
            const unsigned keep = network.prefix_length > first_bit ? network.prefix_length - first_bit : 0;
            bytes[i] = static_cast<unsigned char>(bytes[i] & (0xffu << (8 - keep)));
        }
        return bytes;
    };
    Network result = network;
    if (network.address.is_v4())
        result.address = boost::asio::ip::address_v4(clear(network.address.to_v4().to_bytes()));
    else
        result.address = boost::asio::ip::address_v6(clear(network.address.to_v6().to_bytes()));
    return result;
}

bool is_dns_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i < name.size() && name[i] != '.') {
            const unsigned char c = static_cast<unsigned char>(name[i]);
            if (!std::isalnum(c) && c != '-') return false;
            continue;
        }
        const std::string_view label = name.substr(label_start, i - label_start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        label_start = i + 1;
    }
    return true;
}

std::string format_duration(Duration d) {
    const auto ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::string format_byte_size(ByteSize size) {
    const auto b = size.bytes;
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 6> units{{
        {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10},
        {"GB", 1'000'000'000}, {"MB", 1'000'000}, {"kB", 1'000}}};
    for (const auto& [name, factor] : units)
        if (b != 0 && b % factor == 0) return std::to_string(b / factor) + std::string(name);
    return std::to_string(b) + "B";
}

std::string Network::str() const { return address.to_string() + "/" + std::to_string(prefix_length); }

namespace {

namespace ip = boost::asio::ip;

template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned bits) {
    for (std::size_t i = 0; i < N && bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const auto mask = static_cast<unsigned char>(0xffu << (8 - take));
        if ((a[i] & mask) != (b[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

}  // namespace

bool Network::contains(const ip::address& candidate) const {
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2);
    // they must match IPv4 networks, and an IPv4 client must match a network
    // written as ::ffff:a.b.c.d/104. Compare both in their IPv4 form when possible.
    ip::address client = candidate;
    if (client.is_v6() && client.to_v6().is_v4_mapped())
        client = ip::make_address_v4(ip::v4_mapped, client.to_v6());
    ip::address network = address;
    unsigned prefix = prefix_length;
    if (network.is_v6() && network.to_v6().is_v4_mapped() && prefix >= 96) {
        network = ip::make_address_v4(ip::v4_mapped, network.to_v6());
        prefix -= 96;
    }
    if (client.is_v4() && network.is_v4())
        return same_prefix(client.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
    if (client.is_v6() && network.is_v6())
        return same_prefix(client.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
    if (client.is_v4() && network.is_v6())  // "::/0" or "::ffff:0:0/95": compare the mapped form
        return same_prefix(ip::make_address_v6(ip::v4_mapped, client.to_v4()).to_bytes(),
                           network.to_v6().to_bytes(), prefix);
    return false;  // an IPv6 client never matches an IPv4 network
}

}  // namespace mxgate::settings
