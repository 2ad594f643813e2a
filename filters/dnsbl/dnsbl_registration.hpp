// filters.dnsbl in the registry (registry.cpp).
#pragma once

#include <vector>

#include "filters/dnsbl/dnsbl_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::dnsbl {

Registration registration();
// What the lists decide is the score: "dnsbl.reject_score" refuses a RCPT whose
// "dnsbl" finding says the score reached it (554 5.7.1, Postfix's words). The
// rest say the checks fail open: "dnsbl.lists" for an unanswered list
// ("dnsbl.*", "dnswl.*" temperror) at the stage it is asked, "dnsbl.fcrdns" for
// FCrDNS, "dnsbl.temperror" for a stage cut off by its deadline.
std::vector<core::DefaultRule> default_rules(const DnsblConfig& config);

}  // namespace mxgate::filters::dnsbl
