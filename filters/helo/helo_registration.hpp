// filters.helo in the registry (registry.cpp): decoded, dumped and built from HeloConfig.
#pragma once

#include <vector>

#include "filters/helo/helo_config.hpp"
#include "filters/registration.hpp"

namespace mxgate::filters::helo {

Registration registration();
// Postfix's replies for the checks the settings turn on: "helo.reject_invalid_hostname"
// (501) before "helo.reject_non_fqdn_hostname" (504), each matching the finding's `check`.
std::vector<core::DefaultRule> default_rules(const HeloConfig& config);

}  // namespace mxgate::filters::helo
