// Peer-influenced text (DNS names, TXT records, library messages) made safe for
// one log line: control octets, non-ASCII and backslash become \xHH, and the
// text is cut at max_chars. The filters' copy of proxy/smtp/printable (filters/
// never includes proxy/).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace mxgate::filters {

inline std::string log_text(std::string_view text, std::size_t max_chars = 100) {
    std::string out;
    for (unsigned char c : text) {
        if (out.size() >= max_chars) {
            out += "...";
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buffer[5];
            std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
            out += buffer;
        }
    }
    return out;
}

}  // namespace mxgate::filters
