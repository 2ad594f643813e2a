// Names shared by policy's users: the filter behind a finding. The rules
// themselves are in policy/rules/ (docs/policy.md).
#pragma once

#include <string>
#include <string_view>

namespace mxgate::policy {

// The filter (its registry key) that emits a finding: "spf.helo" -> "spf",
// "ratelimit.messages" -> "rate_limit", "dnswl.x" and "fcrdns" -> "dnsbl".
std::string filter_of_finding(std::string_view finding);

}  // namespace mxgate::policy
