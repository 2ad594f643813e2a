// libFuzzer: arbitrary client bytes through LineReader, every line (and the raw
// input) through parse_command. Checks the parsers' promises and abort()s when
// one is broken; sanitizers catch the rest.
#include "proxy/smtp/command.hpp"
#include "proxy/smtp/line_reader.hpp"
#include "proxy/smtp/xclient.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mxgate::smtp;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_command(std::string_view line) {
    const ParseResult r = parse_command(line);
    const auto* cmd = std::get_if<Command>(&r);
    if (cmd == nullptr) return;
    for (unsigned char c : line) check(c >= 0x20 && c != 0x7F);  // controls are always refused
    const mxgate::core::Address& a = cmd->address;
    if (cmd->verb == Verb::mail || cmd->verb == Verb::rcpt) {
        check(a.local.size() <= 64 && a.domain.size() <= 255);
        check(a.local.find_first_of("<> ") == std::string::npos || a.local.front() == '"');
        bool non_ascii = false;
        for (unsigned char c : a.local + a.domain) non_ascii = non_ascii || c >= 0x80;
        check(non_ascii == a.utf8);
        if (a.domain.empty()) check(a.local.empty() || (cmd->verb == Verb::rcpt && a.local.size() == 10));
        for (std::size_t i = 0; i < cmd->params.size(); ++i) {
            const auto& [keyword, value] = cmd->params[i];
            check(!keyword.empty());
            for (char c : keyword) check(!(c >= 'a' && c <= 'z'));
            check(find_param(cmd->params, keyword) == &cmd->params[i]);  // unique
            check(value.find_first_of(" =") == std::string::npos);
        }
    } else if (cmd->verb == Verb::xclient) {
        check(a.empty() && !cmd->params.empty());
        for (const auto& [name, value] : cmd->params) {
            check(!name.empty() && !value.empty());
            for (char c : name) check((c >= 'A' && c <= 'Z') || c == '_');
            check(value.find(' ') == std::string::npos);
        }
        const XclientResult x = decode_xclient(cmd->params);
        if (const auto* attributes = std::get_if<XclientAttributes>(&x)) {
            for (const auto* text : {&attributes->address, &attributes->name, &attributes->helo, &attributes->proto})
                if (*text) check(text->value().size() <= 255 && text->value().find_first_of(" \r\n") == std::string::npos);
        }
    } else {
        check(a.empty() && cmd->params.empty());
        for (unsigned char c : line) check(c < 0x80);  // non-ASCII only inside an address
    }
    if (cmd->verb == Verb::helo || cmd->verb == Verb::ehlo) {
        check(!cmd->argument.empty() && cmd->argument.find(' ') == std::string::npos);
    }
    if (auto decoded = decode_xtext(cmd->argument)) check(decoded->size() <= cmd->argument.size());
}

struct Event {
    LineEvent::Kind kind;
    std::string text;
    bool operator==(const Event&) const = default;
};

// Feeds `input` cut at `cut` the way the session does; returns every event.
std::vector<Event> read_lines(std::string_view input, std::size_t cut, std::size_t max_length) {
    LineReader reader(max_length);
    std::vector<Event> events;
    std::string pending;
    for (const std::string_view piece : {input.substr(0, cut), input.substr(cut)}) {
        pending.append(piece);
        while (true) {
            const LineEvent ev = reader.next(pending);
            check(ev.consumed <= pending.size());
            if (ev.kind == LineEvent::Kind::need_more) {
                if (reader.discarding()) check(ev.consumed == pending.size());
                pending.erase(0, ev.consumed);
                break;
            }
            check(ev.consumed > 0);
            if (ev.kind == LineEvent::Kind::line) {
                check(ev.text.size() <= max_length && ev.text.find('\n') == std::string_view::npos);
                check(ev.text.data() == pending.data() && ev.consumed == ev.text.size() + 2);
            }
            events.push_back({ev.kind, std::string(ev.text)});
            pending.erase(0, ev.consumed);
        }
    }
    check(reader.discarding() || pending.size() <= max_length + 1);
    return events;
}

// Reference model: cut at every LF; only a line ending in CR LF is a line.
std::vector<Event> reference_lines(std::string_view input, std::size_t max_length) {
    std::vector<Event> events;
    for (auto lf = input.find('\n'); lf != std::string_view::npos; lf = input.find('\n')) {
        std::string_view text = input.substr(0, lf);
        const bool crlf = !text.empty() && text.back() == '\r';
        if (crlf) text.remove_suffix(1);
        if (text.size() > max_length) {
            events.push_back({LineEvent::Kind::too_long, ""});
        } else if (!crlf) {
            events.push_back({LineEvent::Kind::bare_lf, ""});
        } else {
            events.push_back({LineEvent::Kind::line, std::string(text)});
        }
        input.remove_prefix(lf + 1);
    }
    return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // Byte 0 picks the cut, byte 1 the line limit; the rest is the client's stream.
    const std::size_t max_length = (data[1] & 0x80) != 0 ? 1000 : data[1];
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    const std::size_t cut = input.empty() ? 0 : data[0] % (input.size() + 1);

    const std::vector<Event> whole = read_lines(input, input.size(), max_length);
    check(read_lines(input, cut, max_length) == whole);
    check(reference_lines(input, max_length) == whole);
    for (const Event& ev : whole) {
        if (ev.kind == LineEvent::Kind::line) check_command(ev.text);
    }
    check_command(input);
    return 0;
}
