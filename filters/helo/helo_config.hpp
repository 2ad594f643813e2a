// Settings of the HELO name checks (yaml: filters.helo:), described once: the YAML
// keys are the member names, the defaults their initializers, and decoding and the
// --check-config dump are derived from the description (proxy/core/settings/describe.hpp).
// Every field is a bool, so no field needs a rule of its own.
#pragma once

#include <boost/describe/class.hpp>

namespace mxgate::filters::helo {

struct HeloConfig {                        // yaml: filters.helo:
    bool enabled = false;
    // Postfix reject_invalid_helo_hostname: neither a hostname nor an address literal -> 501.
    bool reject_invalid_hostname = true;
    // Postfix reject_non_fqdn_helo_hostname: not a name with a dot (or a literal) -> 504.
    bool reject_non_fqdn_hostname = false;
    bool skip_trusted = true;              // trusted_networks: Outcome::skipped
    bool operator==(const HeloConfig&) const = default;
};
BOOST_DESCRIBE_STRUCT(HeloConfig, (), (enabled, reject_invalid_hostname, reject_non_fqdn_hostname, skip_trusted))

}  // namespace mxgate::filters::helo
