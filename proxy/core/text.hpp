// Peer-supplied text made safe for one log line: control octets, non-ASCII and
// backslash become \xHH, and the result is cut to max_chars ending in "..." (Postfix
// logs peer text as %.100s). The one place this is done; pure, never throws.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace mxgate::core {

std::string printable(std::string_view text, std::size_t max_chars = 100);

}  // namespace mxgate::core
