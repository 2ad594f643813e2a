// filters.dmarc in the registry (registry.cpp): its field rules, the check that
// the public suffix list loads, and the filter's construction are in dmarc_registration.cpp.
#pragma once

#include "filters/dmarc/dmarc_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::dmarc {

Registration registration();

}  // namespace mxgate::filters::dmarc
