// dns: (the shared resolver's settings) decoded and dumped from the description of
// DnsConfig (dns_config.hpp); the field rules are in dns_settings.cpp.
#pragma once

#include "filters/dns/dns_config.hpp"

namespace YAML {
class Node;
}
namespace mxgate::settings {
class Reporter;
class Writer;
}  // namespace mxgate::settings

namespace mxgate::filters::dns {

DnsConfig decode_dns_settings(const YAML::Node& node, settings::Reporter& reporter);
void dump_dns_settings(settings::Writer& w, const DnsConfig& config);

}  // namespace mxgate::filters::dns
