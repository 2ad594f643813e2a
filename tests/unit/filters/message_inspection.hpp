// Feeds a whole message to a MessageInspector the way the session does: header
// fields whole (with their continuation lines), the end of the header section,
// then the body in chunks of odd sizes, so no boundary is where the signer's
// lines were. Runs finish() on its own io_context and returns the findings.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "filters/filter.hpp"

namespace mxgate::test {

inline void feed_message(filters::MessageInspector& inspector, std::string_view message) {
    const auto end_of_header = message.find("\r\n\r\n");
    std::string_view header = message.substr(0, end_of_header == std::string_view::npos ? message.size() : end_of_header + 2);
    std::string field;
    while (!header.empty()) {
        auto line_end = header.find("\r\n");
        line_end = line_end == std::string_view::npos ? header.size() : line_end + 2;
        const std::string_view line = header.substr(0, line_end);
        header.remove_prefix(line_end);
        if (!field.empty() && line.front() != ' ' && line.front() != '\t') {
            inspector.header_field(field);
            field.clear();
        }
        field += line;
    }
    if (!field.empty()) inspector.header_field(field);
    inspector.end_of_header();
    if (end_of_header == std::string_view::npos) return;
    std::string_view body = message.substr(end_of_header + 4);
    constexpr std::array<std::size_t, 6> sizes = {1, 7, 3, 64, 13, 2};
    for (std::size_t i = 0; !body.empty(); ++i) {
        const std::size_t n = std::min(sizes[i % sizes.size()], body.size());
        inspector.body(body.substr(0, n));
        body.remove_prefix(n);
    }
}

// One message through a content filter, start to finish, on a fresh io_context,
// after the transaction's earlier findings (SPF, DKIM for DMARC).
// With `fate`, the inspector is then told what became of the message, as the
// session tells it once the verdict applied, and what it starts then runs too.
inline std::vector<core::Finding> inspect_whole_message(filters::Filter& filter, std::string_view message,
                                                        std::vector<core::Finding> earlier = {},
                                                        std::optional<filters::MessageFate> fate = std::nullopt) {
    boost::asio::io_context io;
    filters::TransactionView view;
    view.session_id = "test";
    view.findings = &earlier;
    auto inspector = filter.inspect_message(view, io.get_executor());
    if (!inspector) return {};
    feed_message(*inspector, message);
    auto done = boost::asio::co_spawn(io, inspector->finish(view), boost::asio::use_future);
    io.run();
    auto found = done.get();
    if (fate) {
        inspector->concluded(*fate);
        io.restart();
        io.run();
    }
    return found;
}

}  // namespace mxgate::test
