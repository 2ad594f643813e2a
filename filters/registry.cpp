#include "filters/registry.hpp"

namespace mxgate::filters {

Chain build_chain() {
    std::vector<std::unique_ptr<Filter>> filters;
    // One line per filter, in the order their findings are reported:
    //   if (config.filters.spf.enabled) filters.push_back(make_spf_filter(...));
    // The first filters (SPF, DNSBL, greylisting) arrive with issue 4.
    return Chain(std::move(filters));
}

}  // namespace mxgate::filters
