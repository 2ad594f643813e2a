// libFuzzer: a backend's byte stream through parse_reply, reply after reply as
// the backend client reads pipelined replies. abort()s when a parse claims more
// bytes than it had, makes no progress, breaks its limits, or when a parsed
// reply does not survive wire() -> parse_reply() with the same code and lines.
#include "proxy/core/reply.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace mxgate::core;

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // Byte 0: enhanced codes on/off; byte 1: line limit; the rest is the backend's stream.
    const bool enhanced = (data[0] & 1) != 0;
    const std::size_t max_line_length = (data[1] & 0x80) != 0 ? 4096 : data[1];
    const std::size_t max_lines = 1 + data[0] / 2 % 16;
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    while (!input.empty()) {
        const ReplyParse r = parse_reply(input, enhanced, max_line_length, max_lines);
        if (r.status != ReplyStatus::complete) break;
        check(r.consumed > 0 && r.consumed <= input.size());
        const Reply& reply = r.reply;
        check(reply.code >= 200 && reply.code <= 559);
        check(!reply.lines.empty() && reply.lines.size() <= max_lines);
        check(reply.summary(50).size() <= 50);

        const std::string wire = reply.wire();
        const ReplyParse again = parse_reply(wire, enhanced, wire.size(), reply.lines.size() + 1);
        check(again.status == ReplyStatus::complete && again.consumed == wire.size());
        check(again.reply.code == reply.code && again.reply.lines.size() == reply.lines.size());
        input.remove_prefix(r.consumed);
    }
    return 0;
}
