// The vocabulary filters report in and policy decides on: the SMTP stage, the
// outcome of a check and the named fact (Finding). Here rather than in filters/
// so that policy/ links the core only and never sees a filter class.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxgate::core {

enum class Stage : std::uint8_t { connect, helo, mail_from, rcpt, end_of_data };
std::string_view to_string(Stage stage);

// policy: the check was made but its result is not acceptable to us (RFC 8601
// §2.7.1: e.g. a DKIM signature with rsa-sha1 or a key under 1024 bits, RFC 8301).
enum class Outcome : std::uint8_t { pass, fail, softfail, neutral, none, temperror, permerror, skipped, policy };
std::string_view to_string(Outcome outcome);

// One named fact; policy and the session read these. A finding never says what to
// do: a filter's settings do that as its default rules (default_rule.hpp). Facts a
// rule's reply shows are made printable and short by the filter (SPF's explains).
// Attributes every filter may set:
//   error         timeout (the chain's deadline) or exception (the filter threw) on a
//                 temperror the filter itself did not report
//   auth_results  a method result for Authentication-Results ("spf=pass smtp.mailfrom=a@b")
//   add_header    a whole header field, CRLF-terminated, to prepend (Received-SPF)
struct Finding {
    std::string name;     // "spf", "dnsbl.zen", "dkim.example.org"
    Outcome outcome = Outcome::none;
    std::vector<std::pair<std::string, std::string>> attrs;  // "domain" -> ..., "score" -> "3"
    std::string reason;   // for explain and logs; never sent to the client verbatim

    std::string_view attr(std::string_view key) const {  // "" when absent
        for (const auto& [k, v] : attrs)
            if (k == key) return v;
        return {};
    }
};

}  // namespace mxgate::core
