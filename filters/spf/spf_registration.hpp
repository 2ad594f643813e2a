// filters.spf in the registry (registry.cpp): its field rules, the receiver
// default and the filter's construction are in spf_registration.cpp.
#pragma once

#include "filters/registration.hpp"
#include "filters/spf/spf_config.hpp"

namespace mxgate::filters::spf {

Registration registration();
// The one place SPF's receiver gets its default: the server's hostname.
void apply_defaults(SpfConfig& config, const FilterDefaults& proxy);

}  // namespace mxgate::filters::spf
