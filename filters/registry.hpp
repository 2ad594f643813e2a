// The one table of filters (like Postfix's smtpd_cmd_table): adding a filter is
// one folder under filters/ plus one line in registry.cpp. No self-registration.
#pragma once

#include "filters/chain.hpp"

namespace mxgate::filters {

// Builds the chain for one config generation.
// Filter settings will come from filters/<name>/<name>_config (issue 4); filters/
// never include proxy/.
Chain build_chain();

}  // namespace mxgate::filters
