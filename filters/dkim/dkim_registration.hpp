// filters.dkim in the registry (registry.cpp): its field rules and the filter's
// construction are in dkim_registration.cpp.
#pragma once

#include <vector>

#include "filters/dkim/dkim_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::dkim {

Registration registration();
// DKIM only informs: its one rule, "dkim.temperror", says a "dkim" temperror (a
// key that could not be fetched, a verification cut off) proceeds.
std::vector<core::DefaultRule> default_rules(const DkimConfig& config);

}  // namespace mxgate::filters::dkim
