// Authentication-Results (RFC 8601): the one header field mxgate prepends with
// the results of every check (spf= now; dkim=, dmarc= later), and the check that
// finds incoming fields claiming our authserv-id, which are removed (§5).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mxgate::filters {

// "Authentication-Results: <authserv_id>;\r\n\t<resinfo>;\r\n\t<resinfo>\r\n", or
// "...: <authserv_id>; none\r\n" when there is nothing to report (§2.2).
// Each resinfo is a method result such as "spf=pass smtp.mailfrom=x@example.org".
std::string authentication_results_header(std::string_view authserv_id, const std::vector<std::string>& resinfos);

// True when `header` (a whole "Authentication-Results: ..." field, folded or not,
// or only its value) names `authserv_id` as its authserv-id. Compared without
// regard to case; CFWS and an optional version are allowed (RFC 8601 §2.2).
bool claims_authserv_id(std::string_view header, std::string_view authserv_id);

}  // namespace mxgate::filters
