#include "proxy/core/text.hpp"

#include <algorithm>

namespace mxgate::core {

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string printable(std::string_view text, std::size_t max_chars) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(text.size(), max_chars) + 3);
    for (char c : text) {
        if (out.size() > max_chars) break;
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '\\') {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        } else {
            out += c;
        }
    }
    if (out.size() > max_chars) {
        // Mark the cut so a reader knows the peer said more.
        out.resize(max_chars >= 3 ? max_chars - 3 : 0);
        out += "...";
    }
    return out;
}

}  // namespace mxgate::core
