// Internal to proxy/config: the section decoders and the checks after them. The
// pieces they share (Reporter, MapReader, value syntax) are proxy/core/settings'.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/config/config.hpp"
#include "proxy/config/decode.hpp"
#include "proxy/core/settings/map_reader.hpp"

namespace mxgate::config::detail {

// The framework every section decoder uses lives in proxy/core/settings, so that
// filters decode their own sections with it too.
using settings::closest;
using settings::describe;
using settings::edit_distance;
using settings::element_path;
using settings::escaped;
using settings::expect_list;
using settings::for_each_item;
using settings::format_byte_size;
using settings::format_duration;
using settings::is_dns_name;
using settings::MapReader;
using settings::masked;
using settings::parse_network_with_host_bits;
using settings::Reporter;
using settings::resolve_path;

// The sections that are not one described map (decode_sections.cpp; the others
// are settings::decode_section<T>). A missing section is an undefined node and
// yields the defaults.
std::vector<Listener> decode_listeners(const YAML::Node& node, Reporter& reporter);
std::map<std::string, std::string> decode_domains(const YAML::Node& node, Reporter& reporter);
std::map<std::string, Backend> decode_backends(const YAML::Node& node, Reporter& reporter);
// check_filters.cpp: checks across dns/state/filters (after decoding): files that must exist.
void check_filters(const Config& config, Reporter& reporter);
// check_policy.cpp: compiles policy.file (when set and readable) into config.policy;
// each of the policy's diagnostics is reported with its own file:line:column.
void compile_policy(Config& config, Reporter& reporter);

// Checks that need OpenSSL (tls_check.cpp): "" when fine, else the reason.
std::string check_readable(const std::string& path);
struct TlsProblem {
    std::string field;   // "tls.certificate" or "tls.private_key"; empty = no problem
    std::string reason;
};
TlsProblem check_certificate_and_key(const std::string& certificate, const std::string& private_key);
std::string check_ca_file(const std::string& path);
std::string check_ciphers(const std::string& ciphers);

}  // namespace mxgate::config::detail
