// filters.spf in the registry (registry.cpp): its field rules, the receiver
// default and the filter's construction are in spf_registration.cpp.
#pragma once

#include <vector>

#include "filters/registration.hpp"
#include "filters/spf/spf_config.hpp"

namespace mxgate::filters::spf {

Registration registration();
// The one place SPF's receiver gets its default: the server's hostname.
void apply_defaults(SpfConfig& config, const FilterDefaults& proxy);
// The on_<result> settings as rules for the "spf" finding ("spf.on_fail": the
// configured reply, a fail's "{spf.explains}" after it), then on_helo_fail's for
// "spf.helo". A proceed setting gives no rule, except on_temperror's, which says
// an SPF temperror fails open; "spf.check_helo" says the HELO check's temperror
// always does (it only reports).
std::vector<core::DefaultRule> default_rules(const SpfConfig& config);

}  // namespace mxgate::filters::spf
