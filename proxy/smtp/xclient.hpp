// The attributes of Postfix's XCLIENT command (www.postfix.org/XCLIENT_README.html):
// a front-end we trust tells us who its client is. Pure code: decode_xclient
// turns the attributes parse_command collected into checked, xtext-decoded
// values. It never decides who may send XCLIENT (SessionState does). Errors are
// values: the text of a 501 5.5.4 reply naming the attribute at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proxy/smtp/command.hpp"

namespace mxgate::smtp {

// What mxgate advertises after "XCLIENT" in EHLO: only what it implements.
inline constexpr const char* xclient_attribute_names = "ADDR PORT NAME HELO PROTO";

// std::nullopt = not given (what then holds is the session's rule: Session::do_xclient);
// an empty value (or port 0) = given as "[UNAVAILABLE]" or "[TEMPUNAVAIL]", i.e. unknown.
struct XclientAttributes {
    std::optional<std::string> address;  // "192.0.2.7" or "2001:db8::1" ("IPV6:" removed); "" = unknown
    std::optional<std::uint16_t> port;
    std::optional<std::string> name;     // the client's host name (for logs)
    std::optional<std::string> helo;     // as if the client had sent HELO with it
    std::optional<std::string> proto;    // "SMTP" or "ESMTP"

    bool operator==(const XclientAttributes&) const = default;
};

struct XclientError {
    std::string text;  // e.g. "Error: unsupported XCLIENT attribute LOGIN"
};

using XclientResult = std::variant<XclientAttributes, XclientError>;

// `attributes`: Command::params of an XCLIENT command (names upper case, values xtext).
// A later attribute of the same name replaces an earlier one.
XclientResult decode_xclient(const std::vector<EsmtpParam>& attributes);

}  // namespace mxgate::smtp
