// Settings of the HELO name checks (yaml: filters.helo:). A plain struct: defaults
// are the member initializers. No YAML here: proxy/config fills it.
#pragma once

namespace mxgate::filters::helo {

struct HeloConfig {                        // yaml: filters.helo:
    // Postfix reject_invalid_helo_hostname: neither a hostname nor an address literal -> 501.
    bool reject_invalid_hostname = true;
    // Postfix reject_non_fqdn_helo_hostname: not a name with a dot (or a literal) -> 504.
    bool reject_non_fqdn_hostname = false;
    bool skip_trusted = true;              // trusted_networks: Outcome::skipped
    bool operator==(const HeloConfig&) const = default;
};

}  // namespace mxgate::filters::helo
