// libFuzzer: RDATA as a DNS server (or anyone on the path) may send it, through
// parse_rdata. abort()s when:
// - a name that parses does not encode back to exactly the bytes it came from
//   (escapes lost or invented, a label split or merged);
// - a name's text is longer than RFC 1035 allows, or holds an unescaped
//   control, space or 8-bit octet (it reaches logs and header fields);
// - an A/AAAA answer parses from a wrong size or does not read back with inet_pton;
// - a TXT text is not the concatenation of the character-strings.
// Byte 0 picks the record type; the rest is the RDATA.
#include "filters/dns/rdata.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace mxgate::filters::dns;

void check(bool ok) {
    if (!ok) std::abort();
}

// Presentation form back to wire format (RFC 1035 §5.1 escapes), independently written.
std::optional<std::vector<std::uint8_t>> encode_name(const std::string& text) {
    std::vector<std::uint8_t> wire;
    if (text == ".") return std::vector<std::uint8_t>{0};
    std::vector<std::uint8_t> label;
    const auto end_label = [&]() -> bool {
        if (label.empty() || label.size() > 63) return false;
        wire.push_back(static_cast<std::uint8_t>(label.size()));
        wire.insert(wire.end(), label.begin(), label.end());
        label.clear();
        return true;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '.') {
            if (!end_label()) return std::nullopt;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) return std::nullopt;
            if (text[i + 1] >= '0' && text[i + 1] <= '9') {
                if (i + 3 >= text.size()) return std::nullopt;
                for (std::size_t k = i + 2; k <= i + 3; ++k)
                    if (text[k] < '0' || text[k] > '9') return std::nullopt;
                const int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
                if (value > 255) return std::nullopt;
                label.push_back(static_cast<std::uint8_t>(value));
                i += 3;
            } else {
                label.push_back(static_cast<std::uint8_t>(text[i + 1]));
                ++i;
            }
        } else {
            label.push_back(static_cast<std::uint8_t>(c));
        }
    }
    if (!end_label()) return std::nullopt;
    wire.push_back(0);
    return wire;
}

void check_name(const std::string& text, std::span<const std::uint8_t> wire) {
    check(!text.empty() && text.size() <= 4 * 255);
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        check(u > 0x20 && u < 0x7f);
    }
    const auto encoded = encode_name(text);
    check(encoded.has_value());
    check(std::vector<std::uint8_t>(wire.begin(), wire.end()) == *encoded);
    check(encoded->size() <= 255);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const RecordType types[] = {RecordType::a,  RecordType::ns,  RecordType::cname, RecordType::ptr,
                                       RecordType::mx, RecordType::txt, RecordType::aaaa};
    const RecordType type = types[data[0] % 7];
    const std::span<const std::uint8_t> rdata(data + 1, size - 1);
    const std::optional<std::string> text = parse_rdata(type, rdata);
    if (!text) return 0;
    switch (type) {
        case RecordType::a:
        case RecordType::aaaa: {
            const int family = type == RecordType::a ? AF_INET : AF_INET6;
            check(rdata.size() == (type == RecordType::a ? 4u : 16u));
            unsigned char back[16] = {};
            check(inet_pton(family, text->c_str(), back) == 1);
            check(std::equal(rdata.begin(), rdata.end(), back));
            break;
        }
        case RecordType::ns:
        case RecordType::cname:
        case RecordType::ptr: check_name(*text, rdata); break;
        case RecordType::mx: {
            const std::size_t space = text->find(' ');
            check(space != std::string::npos);
            check(std::stoul(text->substr(0, space)) == ((unsigned{rdata[0]} << 8) | rdata[1]));
            check_name(text->substr(space + 1), rdata.subspan(2));
            break;
        }
        case RecordType::txt: {
            std::string joined;
            for (std::size_t pos = 0; pos < rdata.size(); pos += 1 + rdata[pos])
                joined.append(reinterpret_cast<const char*>(rdata.data() + pos + 1), rdata[pos]);
            check(joined == *text);
            break;
        }
    }
    return 0;
}
