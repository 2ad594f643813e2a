// The shared DNS-name check (filters/dns/dns_name.cpp) on any text, under every rule set.
// abort()s when an accepted name is empty, longer than the rule's limit, ends in a
// dot, or has an empty label or a label over 63 octets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "filters/dns/dns_name.hpp"

namespace {

using namespace mxgate::filters::dns;

void check(bool condition) {
    if (!condition) std::abort();
}

void check_name(std::string_view text, const NameRules& rules) {
    const auto name = dns_name(text, rules);
    if (!name) return;
    check(!name->empty() && name->size() <= rules.max_length && name->back() != '.');
    std::size_t label = 0;
    for (const char c : *name) {
        if (c == '.') {
            check(label != 0);
            label = 0;
        } else {
            check(++label <= 63);
            if (rules.octets == LabelOctets::any) continue;
            const bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            check(ldh || (c == '_' && rules.octets == LabelOctets::ldh_underscore));
        }
    }
    check(label != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const LabelOctets octets : {LabelOctets::any, LabelOctets::ldh_underscore, LabelOctets::hostname})
        for (const bool trailing_dot : {false, true})
            check_name(text, {.octets = octets, .trailing_dot = trailing_dot, .max_length = 253});
    check_name(text, {.max_length = 246});
    return 0;
}
