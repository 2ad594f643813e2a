// ASCII text helpers shared by every target: case-insensitive comparison and
// lower-casing (SMTP keywords, domains and header names are ASCII-case-insensitive;
// non-ASCII octets are compared and kept as sent), and printable() for peer text.
// The one place each is done; pure, never throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mxgate::core {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
std::string ascii_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// Peer-supplied text made safe for one log line or reply: control octets, non-ASCII
// and backslash become \xHH, and the result is cut to max_chars ending in "..."
// (Postfix logs peer text as %.100s).
std::string printable(std::string_view text, std::size_t max_chars = 100);

}  // namespace mxgate::core
