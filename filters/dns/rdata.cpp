#include "filters/dns/rdata.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>


#include "proxy/core/text.hpp"

namespace mxgate::filters::dns {
namespace {

constexpr std::size_t max_name_wire_length = 255;  // RFC 1035 §3.1
constexpr std::size_t max_label_length = 63;

// Reads one name starting at `pos`; on success advances `pos` past it.
std::optional<std::string> read_name(std::span<const std::uint8_t> wire, std::size_t& pos) {
    std::string text;
    std::size_t wire_length = 0;
    for (;;) {
        if (pos >= wire.size()) return std::nullopt;
        const std::size_t length = wire[pos++];
        ++wire_length;
        if (length == 0) break;
        // 0xC0 = compression pointer, 0x40/0x80 = obsolete/extended label types:
        // none is valid in uncompressed rdata, and refusing them rules out loops.
        if (length > max_label_length) return std::nullopt;
        if (wire.size() - pos < length) return std::nullopt;
        wire_length += length;
        if (wire_length > max_name_wire_length) return std::nullopt;
        if (!text.empty()) text += '.';
        for (std::size_t i = 0; i < length; ++i) {
            const auto octet = wire[pos + i];
            if (octet == '.' || octet == '\\') {
                text += '\\';
                text += static_cast<char>(octet);
            } else if (octet <= 0x20 || octet >= 0x7f) {
                text += '\\';
                text += static_cast<char>('0' + octet / 100);
                text += static_cast<char>('0' + octet / 10 % 10);
                text += static_cast<char>('0' + octet % 10);
            } else {
                text += static_cast<char>(octet);
            }
        }
        pos += length;
    }
    if (wire_length > max_name_wire_length) return std::nullopt;  // the root octet counts too
    if (text.empty()) return std::string(1, '.');  // the root
    return text;
}

std::optional<std::string> address_text(int family, std::span<const std::uint8_t> rdata) {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(family, rdata.data(), buffer, sizeof buffer) == nullptr) return std::nullopt;
    return std::string(buffer);
}

// RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and data.
// RFC 7208 §3.3: a TXT record's strings are concatenated without separators.
std::optional<std::string> txt_text(std::span<const std::uint8_t> rdata) {
    if (rdata.empty()) return std::nullopt;
    std::string text;
    std::size_t pos = 0;
    while (pos < rdata.size()) {
        const std::size_t length = rdata[pos++];
        if (rdata.size() - pos < length) return std::nullopt;
        text.append(reinterpret_cast<const char*>(rdata.data() + pos), length);
        pos += length;
    }
    return text;
}

}  // namespace

std::optional<std::string> parse_name(std::span<const std::uint8_t> wire) {
    std::size_t pos = 0;
    auto name = read_name(wire, pos);
    if (!name || pos != wire.size()) return std::nullopt;
    return name;
}

std::optional<std::string> parse_rdata(RecordType type, std::span<const std::uint8_t> rdata) {
    switch (type) {
    case RecordType::a:
        if (rdata.size() != 4) return std::nullopt;
        return address_text(AF_INET, rdata);
    case RecordType::aaaa:
        if (rdata.size() != 16) return std::nullopt;
        return address_text(AF_INET6, rdata);
    case RecordType::txt:
        return txt_text(rdata);
    case RecordType::ns:
    case RecordType::cname:
    case RecordType::ptr:
        return parse_name(rdata);
    case RecordType::mx: {  // RFC 1035 §3.3.9: PREFERENCE (16 bits) EXCHANGE
        if (rdata.size() < 3) return std::nullopt;
        const unsigned preference = (unsigned{rdata[0]} << 8) | rdata[1];
        auto exchange = parse_name(rdata.subspan(2));
        if (!exchange) return std::nullopt;
        return std::to_string(preference) + ' ' + *exchange;
    }
    }
    return std::nullopt;
}

std::string canonical_name(std::string_view name) {
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    return core::ascii_lower(name);
}

std::string_view to_string(RecordType type) {
    switch (type) {
    case RecordType::a: return "A";
    case RecordType::ns: return "NS";
    case RecordType::cname: return "CNAME";
    case RecordType::ptr: return "PTR";
    case RecordType::mx: return "MX";
    case RecordType::txt: return "TXT";
    case RecordType::aaaa: return "AAAA";
    }
    return "?";
}

std::string_view to_string(Status status) {
    switch (status) {
    case Status::ok: return "ok";
    case Status::nxdomain: return "nxdomain";
    case Status::nodata: return "nodata";
    case Status::servfail: return "servfail";
    case Status::timeout: return "timeout";
    }
    return "?";
}

}  // namespace mxgate::filters::dns
