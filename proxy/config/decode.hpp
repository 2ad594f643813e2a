// Loads the YAML config file into config::Config and validates it.
// Never throws for bad input: every problem becomes a Diagnostic with
// file:line:column (1-based) and what was expected; unknown keys are errors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policy/rules/compile.hpp"
#include "proxy/config/config.hpp"
#include "proxy/core/settings/reporter.hpp"

namespace mxgate::config {

using settings::Diagnostic;   // "conf/mxgate.yaml:12:7: unknown key 'acton' in limits"
using settings::Diagnostics;

// nullptr and at least one Diagnostic when the file is unreadable or invalid.
std::shared_ptr<const Config> load_config(const std::string& path, Diagnostics& diagnostics);
// Same, from text (tests); `source` names the text in diagnostics.
std::shared_ptr<const Config> parse_config(const std::string& yaml, const std::string& source,
                                           Diagnostics& diagnostics);

// What a policy file may name: the registry's filters (`skip:`) and, when a config
// is given, its backends (`route:`). The loader compiles `policy.file` with these.
policy::rules::CompileOptions policy_compile_options(const Config* config);

using settings::redacted;     // what every output shows instead of a secret
// The effective configuration, every key with its value, as YAML (--check-config).
std::string dump_config(const Config& config);

// "30s" -> Duration; "10MiB" -> bytes. Exposed for tests; nullopt when malformed.
using settings::parse_byte_size;
using settings::parse_duration;
// "host:port", "[v6]:port" -> Endpoint (port 0-65535); nullopt when malformed.
std::optional<Endpoint> parse_endpoint(const std::string& text);
// "10.0.0.0/8", "::1/128", "192.0.2.7" (= /32) -> Network; nullopt when malformed
// or when bits after the prefix are set ("10.0.0.1/8").
using settings::parse_network;

}  // namespace mxgate::config
