// A finding's attribute for test assertions: "<none>" when absent, so a test can
// tell a missing attribute from an empty one (Finding::attr gives "" for both).
#pragma once

#include <string>
#include <string_view>

#include "filters/filter.hpp"

namespace mxgate::test {

inline std::string attr(const core::Finding& finding, std::string_view key) {
    for (const auto& [k, v] : finding.attrs)
        if (k == key) return v;
    return "<none>";
}

}  // namespace mxgate::test
