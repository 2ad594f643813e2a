// Settings of the DKIM verifier (yaml: filters.dkim:), described once: the YAML
// keys are the member names, the defaults their initializers; the ranges are in
// dkim_registration.cpp, from which decoding and the --check-config dump derive.
#pragma once

#include <chrono>

#include <boost/describe/class.hpp>

namespace mxgate::filters::dkim {

using namespace std::chrono_literals;

struct DkimConfig {                                    // yaml: filters.dkim:
    bool enabled = false;
    // All key lookups of one message, from the end of its header section to the
    // verdict; a key not fetched by then is a temperror for its signature.
    std::chrono::milliseconds timeout = 10s;
    // Signatures verified per message (each may cost one key lookup); the rest
    // are reported once as not evaluated.
    int max_signatures = 5;
    // RFC 8301 §3.2: RSA keys under 1024 bits must not pass; a site may ask more.
    int min_rsa_bits = 1024;
    // Decoded public keys kept, by the exact text of their DNS record (a changed
    // record is a new entry); 0 decodes every key again for every message.
    int key_cache_entries = 1000;
    bool operator==(const DkimConfig&) const = default;
};
// In --check-config order.
BOOST_DESCRIBE_STRUCT(DkimConfig, (), (enabled, timeout, max_signatures, min_rsa_bits, key_cache_entries))

}  // namespace mxgate::filters::dkim
