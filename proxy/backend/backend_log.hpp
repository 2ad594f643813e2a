// A log line about a backend. Backends describe themselves as "name address"
// (ConversationSettings::peer, Transaction::describe()): that becomes
// backend=<name> peer=<address>, plus the session served when it is known.
#pragma once

#include <string_view>

#include "proxy/log.hpp"

namespace mxgate::backend {

inline log::Line backend_line(std::string_view event, std::string_view peer, std::string_view session = {}) {
    log::Line line(event);
    if (!session.empty()) line.add("session", session);
    const auto space = peer.find(' ');
    line.add("backend", peer.substr(0, space));
    if (space != std::string_view::npos) line.add("peer", peer.substr(space + 1));
    return line;
}

}  // namespace mxgate::backend
