// filters.dkim in the registry (registry.cpp): its field rules and the filter's
// construction are in dkim_registration.cpp.
#pragma once

#include "filters/dkim/dkim_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::dkim {

Registration registration();

}  // namespace mxgate::filters::dkim
