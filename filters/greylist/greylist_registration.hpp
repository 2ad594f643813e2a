// filters.greylist and filters.rate_limit in the registry (registry.cpp).
//
// Greylisting reads one earlier finding: "spf" with outcome pass (the SPF filter's
// finding for MAIL FROM) lets skip_spf_pass skip the delay. That finding name is the
// contract between the two filters, so the registry runs SPF before greylisting.
#pragma once

#include "filters/registration.hpp"

namespace mxgate::filters::greylist {

Registration greylist_registration();
Registration rate_limit_registration();

}  // namespace mxgate::filters::greylist
