// The codecs with more than a line of logic (codecs.hpp).
#include "proxy/core/settings/codecs.hpp"

#include "proxy/core/text.hpp"

namespace mxgate::settings {

bool is_domain(std::string_view name, bool leading_dot, bool trailing_dot) {
    if (leading_dot && name.size() > 1 && name.front() == '.') name.remove_prefix(1);
    if (trailing_dot && name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    return is_dns_name(name);
}

void DomainListCodec::decode(MapReader& m, std::string_view key, std::vector<std::string>& value) const {
    if (!m.has(key)) return;
    std::vector<std::string> domains;
    Reporter& reporter = m.reporter();
    for_each_item(m, key, "domains", reporter,
                  [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
                      if (item.IsScalar() && is_domain(item.Scalar(), true, false)) {
                          domains.push_back(core::ascii_lower(item.Scalar()));
                          return;
                      }
                      reporter.error(mark, path + ": expected a domain like \"example.org\" (subdomains match too), "
                                                  "got " + describe(item));
                  });
    value = std::move(domains);
}

}  // namespace mxgate::settings
