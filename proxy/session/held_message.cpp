#include "proxy/session/held_message.hpp"

namespace mxgate::session {

// "Name: value\r\n" (continuation lines kept) as the rules read it (parse_header_field).
void HeldMessage::keep_for_policy(std::string_view field) {
    const std::size_t cost = field.size() + sizeof(policy::rules::HeaderField);
    if (cost > policy_header_room_) {
        policy_header_room_ = 0;  // the rest is not seen: a later small field must not sneak in either
        return;
    }
    policy_header_room_ -= cost;
    if (auto parsed = policy::rules::parse_header_field(field)) header_fields_.push_back(std::move(*parsed));
}

}  // namespace mxgate::session
