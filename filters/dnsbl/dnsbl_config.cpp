#include "filters/dnsbl/dnsbl_config.hpp"

#include <set>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/system/error_code.hpp>

#include "proxy/core/text.hpp"
#include "filters/dnsbl/dnsbl_query.hpp"

namespace mxgate::filters::dnsbl {

std::vector<std::string> validate(const DnsblConfig& config) {
    std::vector<std::string> errors;
    std::set<std::string> names;
    for (std::size_t i = 0; i < config.lists.size(); ++i) {
        const auto& list = config.lists[i];
        const std::string key = "filters.dnsbl.lists[" + std::to_string(i) + "]";
        if (list.name.empty())
            errors.push_back(key + ".name: missing");
        else if (!names.insert(std::string(list.allow ? "dnswl." : "dnsbl.") + list.name).second)
            errors.push_back(key + ".name: '" + list.name + "' used twice");
        for (char c : list.name) {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                errors.push_back(key + ".name: '" + core::printable(list.name) + "': use a-z, 0-9, '_' and '-'");
                break;
            }
        }
        if (!normalize_domain(list.zone)) errors.push_back(key + ".zone: '" + core::printable(list.zone) + "' is not a domain name");
        for (const auto& code : list.codes) {
            boost::system::error_code ec;
            const auto address = boost::asio::ip::make_address_v4(code, ec);
            if (ec || (address.to_uint() >> 24) != 127)
                errors.push_back(key + ".codes: '" + core::printable(code) + "' is not an address in 127.0.0.0/8");
        }
        if (!list.codes.empty() && list.bitmask != 0)
            errors.push_back(key + ": codes and bitmask exclude each other");
        if (list.timeout.count() <= 0) errors.push_back(key + ".timeout: must be positive");
    }
    if (config.fcrdns.timeout.count() <= 0) errors.push_back("filters.dnsbl.fcrdns.timeout: must be positive");
    if (config.fcrdns.max_names == 0) errors.push_back("filters.dnsbl.fcrdns.max_names: must be at least 1");
    return errors;
}

}  // namespace mxgate::filters::dnsbl
