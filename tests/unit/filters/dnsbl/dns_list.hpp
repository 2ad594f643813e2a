// A DNS list with only what a test states (name, zone, type); the rest at the
// config's defaults. Shared by the scripted-resolver and the nsd tests of the filter.
#pragma once

#include <string>
#include <utility>

#include "filters/dnsbl/dnsbl_config.hpp"

namespace mxgate::test {

inline filters::dnsbl::DnsList dns_list(std::string name, std::string zone,
                                        filters::dnsbl::ListType type = filters::dnsbl::ListType::ip) {
    filters::dnsbl::DnsList list;
    list.name = std::move(name);
    list.zone = std::move(zone);
    list.type = type;
    return list;
}

}  // namespace mxgate::test
