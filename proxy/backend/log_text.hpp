// Peer text for log lines: control and non-ASCII octets escaped as \xHH and
// the whole cut to `max_chars` (Postfix logs peer text as %.100s). Never throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mxgate::backend {

inline std::string log_text(std::string_view text, std::size_t max_chars = 100) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : text) {
        if (out.size() >= max_chars) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '\\') {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace mxgate::backend
