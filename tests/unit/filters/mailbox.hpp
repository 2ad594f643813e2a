// Test shorthand for an envelope address: "local@domain" split at the last '@',
// "" for <>, "Postmaster" without a domain. The gateway gets addresses from the
// command parser (proxy/smtp), which filters' tests do not need to go through.
#pragma once

#include <string>
#include <string_view>

#include "proxy/core/address.hpp"

namespace mxgate::test {

inline core::Address mailbox(std::string_view text) {
    const auto at = text.rfind('@');
    if (at == std::string_view::npos) return {std::string(text), {}};
    return {std::string(text.substr(0, at)), std::string(text.substr(at + 1))};
}

}  // namespace mxgate::test
