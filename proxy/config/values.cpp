// Scalar value syntax shared by the decoders and dump_config: durations, byte
// sizes, endpoints, networks, host names, and the "did you mean" distance.
// Pure functions over strings; malformed text gives nullopt, never an exception.
#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include <boost/asio/ip/address.hpp>

#include "proxy/config/decode.hpp"
#include "proxy/config/decode_support.hpp"

namespace mxgate::config {

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

std::optional<Endpoint> parse_endpoint(const std::string& text) {
    std::string_view view = text;
    Endpoint endpoint;
    std::string_view port;
    if (!view.empty() && view.front() == '[') {
        const auto close = view.find(']');
        if (close == std::string_view::npos || close + 1 >= view.size() || view[close + 1] != ':')
            return std::nullopt;
        endpoint.host = std::string(view.substr(1, close - 1));
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(endpoint.host, ec);
        if (ec || endpoint.host.find('%') != std::string::npos) return std::nullopt;
        port = view.substr(close + 2);
    } else {
        const auto colon = view.rfind(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        endpoint.host = std::string(view.substr(0, colon));
        if (endpoint.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
        const bool looks_numeric = std::all_of(endpoint.host.begin(), endpoint.host.end(),
                                               [](char c) { return is_digit(c) || c == '.'; });
        if (looks_numeric) {
            boost::system::error_code ec;
            boost::asio::ip::make_address_v4(endpoint.host, ec);
            if (ec) return std::nullopt;
        } else if (!detail::is_dns_name(endpoint.host)) {
            return std::nullopt;
        }
        port = view.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) return std::nullopt;
    const auto number = std::stoul(std::string(port));
    if (number > 65535) return std::nullopt;
    endpoint.port = static_cast<std::uint16_t>(number);
    return endpoint;
}

std::optional<Network> parse_network(const std::string& text) {
    auto network = detail::parse_network_with_host_bits(text);
    if (!network || detail::masked(*network).address != network->address) return std::nullopt;
    return network;
}

namespace detail {

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

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    // Short words tolerate one typo, longer ones two or three: beyond that a
    // suggestion is more confusing than helpful.
    const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 8 ? 2 : 3;
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        const auto distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::string escaped(std::string_view text) {
    static constexpr std::size_t max_shown = 80;
    std::string out;
    for (const char ch : text.substr(0, max_shown)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    if (text.size() > max_shown) out += "...";
    return out;
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

}  // namespace detail
}  // namespace mxgate::config
