// filters.greylist and filters.rate_limit in the registry (registry.cpp).
//
// Greylisting reads one earlier finding: "spf" with outcome pass (the SPF filter's
// finding for MAIL FROM) lets skip_spf_pass skip the delay. That finding name is the
// contract between the two filters, so the registry runs SPF before greylisting.
#pragma once

#include <vector>

#include "filters/greylist/greylist_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::greylist {

Registration greylist_registration();
Registration rate_limit_registration();

// "greylist.defer": a deferral (softfail) gets 451 4.7.1 with its retry_after;
// with fail_open, "greylist.fail_open" lets a check cut off by the stage deadline
// proceed (an unavailable store is then a pass already).
std::vector<core::DefaultRule> default_rules(const GreylistConfig& config);
// "rate_limit.connections" (421 4.7.0, and the connection is closed) and
// "rate_limit.messages" (451 4.7.0) for a client over a limit that is on; with
// fail_open, "rate_limit.fail_open" lets a check cut off by the deadline proceed.
std::vector<core::DefaultRule> default_rules(const RateLimitConfig& config);

}  // namespace mxgate::filters::greylist
