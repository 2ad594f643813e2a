// filters.helo: every key is a bool, so the description in helo_config.hpp is all
// the decoder and the dump need.
#include "filters/helo/helo_registration.hpp"

#include "filters/helo/helo_filter.hpp"
#include "filters/register_filter.hpp"

namespace mxgate::filters::helo {

Registration registration() {
    return register_filter<HeloConfig>("helo", Needs{}, [](std::shared_ptr<const HeloConfig> config, const Services&) {
        return std::unique_ptr<Filter>(std::make_unique<HeloFilter>(std::move(config)));
    });
}

}  // namespace mxgate::filters::helo
