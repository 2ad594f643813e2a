// Decision -> SMTP reply (smtp_reply.hpp).
#include "policy/rules/smtp_reply.hpp"

namespace mxgate::policy::rules {

ReplySpec default_reply(Terminal terminal) {
    switch (terminal) {
        case Terminal::reject: return {550, "5.7.1", "Message rejected by policy"};
        case Terminal::tempfail: return {451, "4.7.1", "Try again later"};
        case Terminal::disconnect: return {421, "4.7.0", "Closing connection"};
        default: return {};
    }
}

std::optional<core::Reply> smtp_reply(Terminal terminal, const ReplySpec& written) {
    const ReplySpec fallback = default_reply(terminal);
    if (fallback.code == 0) return std::nullopt;
    // The compiler checked the class of a written code against the action.
    return core::make_reply(written.code ? written.code : fallback.code,
                            written.enhanced.empty() ? fallback.enhanced : written.enhanced,
                            written.text.empty() ? fallback.text : written.text);
}

std::optional<core::Reply> smtp_reply(const Decision& decision) {
    return smtp_reply(decision.terminal, decision.reply);
}

}  // namespace mxgate::policy::rules
