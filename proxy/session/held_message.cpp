#include "proxy/session/held_message.hpp"

namespace mxgate::session {

// "Name: value\r\n" (continuation lines kept) as the rules read it: the name, and
// the value without the blanks after the colon and the final CRLF.
void HeldMessage::keep_for_policy(std::string_view field) {
    const std::size_t cost = field.size() + sizeof(policy::rules::HeaderField);
    if (cost > policy_header_room_) {
        policy_header_room_ = 0;  // the rest is not seen: a later small field must not sneak in either
        return;
    }
    policy_header_room_ -= cost;
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (value.ends_with("\r\n")) value.remove_suffix(2);
    header_fields_.push_back({std::string(name), std::string(value)});
}

}  // namespace mxgate::session
