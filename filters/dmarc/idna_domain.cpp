#include "filters/dmarc/idna_domain.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace mxgate::filters::dmarc {

std::optional<std::string> ascii_domain(std::string_view domain) {
    if (std::all_of(domain.begin(), domain.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return std::string(domain);
    const std::string input(domain);
    char* output = nullptr;
    const int rc = idn2_to_ascii_8z(input.c_str(), &output, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    const std::unique_ptr<char, decltype(&idn2_free)> owned(output, &idn2_free);
    if (rc != IDN2_OK || output == nullptr) return std::nullopt;
    return std::string(output);
}

}  // namespace mxgate::filters::dmarc
