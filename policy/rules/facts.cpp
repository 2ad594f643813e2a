#include "policy/rules/facts.hpp"

namespace mxgate::policy::rules {

std::optional<HeaderField> parse_header_field(std::string_view field) {
    if (field.ends_with("\r\n")) field.remove_suffix(2);
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view name = field.substr(0, colon), value = field.substr(colon + 1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty()) return std::nullopt;
    for (const char c : name)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return std::nullopt;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    return HeaderField{std::string(name), std::string(value)};
}

}  // namespace mxgate::policy::rules
