// filters.dmarc in the registry (registry.cpp): its field rules, the check that
// the public suffix list loads, and the filter's construction are in dmarc_registration.cpp.
#pragma once

#include <vector>

#include "filters/dmarc/dmarc_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::dmarc {

Registration registration();
// The on_* settings as rules for the "dmarc" finding at end of data: a fail by its
// disposition ("dmarc.on_reject_fail" ...), a temperror that fails every policy
// (neither SPF nor DKIM aligned) or that timed out ("dmarc.on_temperror"), a bad
// From: by its error ("dmarc.on_from_count", "dmarc.on_malformed_from"); replies
// 550 5.7.1 / 451 4.7.1, a quarantine's text its reason. "dmarc.temperror": the
// other temperrors (some identifier aligned) proceed.
std::vector<core::DefaultRule> default_rules(const DmarcConfig& config);

}  // namespace mxgate::filters::dmarc
